using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Models;
using Sesemi.KeyService.Principals;
using Sesemi.KeyService.Releases;
using Sesemi.KeyService.RequestKeys;

namespace Sesemi.KeyService.Hosting;

/// <summary>The routes of KeyService API v1 (documented in docs/protocols.md §6).</summary>
public static class KeyServiceEndpoints
{
    public static IEndpointRouteBuilder MapKeyService(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var api = services.GetRequiredService<JsonApi>();
        var json = KeyServiceJsonContext.Default;
        var principals = services.GetRequiredService<PrincipalOperations>();
        var models = services.GetRequiredService<ModelOperations>();
        var audit = services.GetRequiredService<AuditOperations>();
        var requestKeys = services.GetRequiredService<RequestKeyOperations>();
        var releases = services.GetRequiredService<ReleaseOperations>();
        var info = services.GetRequiredService<ServiceInfo>();

        endpoints.MapGet(KeyServiceRoutes.Health, (RequestDelegate)(http => http.Response.WriteAsync("ok", http.RequestAborted)));
        endpoints.MapGet(KeyServiceRoutes.Info, (RequestDelegate)(http => JsonApi.WriteAsync(http, ApiResult<ServiceInfo>.Ok(info), json.ServiceInfo, http.RequestAborted)));

        endpoints.MapPost(KeyServiceRoutes.Principals, api.Post(Audience.Principal, json.RegisterPrincipalRequest, json.PrincipalInfo, principals.RegisterAsync));
        endpoints.MapGet(KeyServiceRoutes.Me, api.Get(Audience.Principal, json.PrincipalInfo, principals.MeAsync));

        endpoints.MapPost(KeyServiceRoutes.Models, api.Post(Audience.Principal, json.RegisterModelRequest, json.ModelInfo, models.RegisterAsync));
        endpoints.MapGet(KeyServiceRoutes.Models, api.Get(Audience.Principal, json.ModelList, models.ListAsync));
        endpoints.MapPost(KeyServiceRoutes.ModelKeys, api.Post(Audience.Principal, json.AddModelKeyRequest, json.KeyVersionInfo, models.AddKeyAsync));
        endpoints.MapPost(KeyServiceRoutes.RetireModelKey, api.Post(Audience.Principal, json.RetireModelKeyRequest, json.KeyVersionInfo, models.RetireKeyAsync));
        endpoints.MapGet(KeyServiceRoutes.ModelKeys, api.Get(Audience.Principal, json.ModelKeyList, models.ListKeysAsync));
        endpoints.MapPost(KeyServiceRoutes.Grants, api.Post(Audience.Principal, json.GrantRequest, json.GrantInfo, models.GrantAsync));
        endpoints.MapPost(KeyServiceRoutes.RevokeGrant, api.Post(Audience.Principal, json.GrantRequest, json.GrantInfo, models.RevokeAsync));
        endpoints.MapGet(KeyServiceRoutes.Grants, api.Get(Audience.Principal, json.GrantList, models.ListGrantsAsync));
        endpoints.MapGet(KeyServiceRoutes.Audit, api.Get(Audience.Principal, json.AuditPage, audit.ReadAsync));

        endpoints.MapPost(KeyServiceRoutes.RequestKeys, api.Post(Audience.Principal, json.AddRequestKeyRequest, json.RequestKeyInfo, requestKeys.AddAsync));
        endpoints.MapPost(KeyServiceRoutes.RetireRequestKey, api.Post(Audience.Principal, json.RetireRequestKeyRequest, json.RequestKeyInfo, requestKeys.RetireAsync));
        endpoints.MapGet(KeyServiceRoutes.RequestKeys, api.Get(Audience.Principal, json.RequestKeyList, requestKeys.ListAsync));

        endpoints.MapPost(KeyServiceRoutes.Releases, api.Post(Audience.Runtime, json.KeyReleaseRequest, json.KeyRelease, releases.ReleaseAsync));
        endpoints.MapPost(KeyServiceRoutes.RenewLease, api.Post(Audience.Runtime, json.RenewLeaseRequest, json.LeaseInfo, releases.RenewAsync));
        return endpoints;
    }
}
