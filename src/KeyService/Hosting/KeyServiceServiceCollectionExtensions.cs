using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Attestation;
using Sesemi.KeyService.Models;
using Sesemi.KeyService.Peers;
using Sesemi.KeyService.Principals;
using Sesemi.KeyService.Releases;
using Sesemi.KeyService.RequestKeys;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Attestation;
using Sesemi.Security.Keys;
using Sesemi.Security.RaTls;

namespace Sesemi.KeyService.Hosting;

/// <summary>Registers the KeyService's components.</summary>
internal static class KeyServiceServiceCollectionExtensions
{
    public static IServiceCollection AddKeyService(this IServiceCollection services, KeyServiceOptions options, KeyServiceTee tee, IKeyServiceStore store, SymmetricKey vaultKey)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(tee);
        services.AddSingleton(store);
        services.AddSingleton(new KeyVault(vaultKey));
        services.AddSingleton(new LeaseTable(options.MaxLeases));
        services.AddSingleton(sp =>
        {
            var verifier = new EvidenceVerifier(tee.RuntimeVerifiers, sp.GetRequiredService<TimeProvider>());
            var runtimePolicy = KeyServiceTee.RuntimePolicy(options);
            return new CallerAuthenticator(new TlsPeerValidator(new RaTlsVerifier(verifier), runtimePolicy, TlsPeerKinds.Any), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<CallerAuthenticator>>());
        });
        services.AddSingleton(sp => new JsonApi(sp.GetRequiredService<CallerAuthenticator>(), options.MaxRequestBodyBytes));
        services.AddSingleton(new ServiceInfo("sesemi-keyservice", KeyServiceRoutes.ApiVersion, tee.Measurement.ToString(), options.AcceptSimulatedRuntimes, (int)options.LeaseDuration.TotalSeconds));
        services.AddSingleton<PrincipalOperations>();
        services.AddSingleton<ModelAccess>();
        services.AddSingleton<ModelOperations>();
        services.AddSingleton<AuditOperations>();
        services.AddSingleton<RequestKeyOperations>();
        services.AddSingleton<ReleaseOperations>();
        return services;
    }
}
