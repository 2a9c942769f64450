using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Logging;
using Sesemi.Security.Attestation;
using Sesemi.Security.RaTls;

namespace Sesemi.KeyService.Peers;

/// <summary>
/// Turns the client certificate of a connection into a <see cref="Caller"/>, once per connection: TLS accepts any
/// certificate so that refusals reach the client as error codes instead of failed handshakes, and this check decides.
/// </summary>
internal sealed class CallerAuthenticator(TlsPeerValidator validator, ILogger<CallerAuthenticator> logger)
{
    private static readonly object CacheKey = new();

    public ApiResultOrCaller Authenticate(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(CacheKey, out var cached) && cached is ApiResultOrCaller known)
        {
            return known;
        }

        var result = Validate(context.Connection.ClientCertificate);
        if (result.Caller is null && result.Error.Code != KeyServiceErrors.CertificateRequired)
        {
            KeyServiceLog.CallerRefused(logger, context.Connection.RemoteIpAddress?.ToString(), result.Error.Code);
        }

        if (items is not null)
        {
            items[CacheKey] = result;
        }

        return result;
    }

    private ApiResultOrCaller Validate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return new ApiError(KeyServiceErrors.CertificateRequired, "a client certificate is required: a principal certificate for owners and users, an attested certificate for runtimes");
        }

        var peer = validator.Validate(certificate);
        if (!peer.IsValid)
        {
            return new ApiError(peer.Failure.Code(), $"the client certificate was refused: {peer.Detail}");
        }

        var spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        if (peer.Value!.Attestation is { } attestation)
        {
            // Releases are sealed to this key with ECDH P-256: any other key could not receive them.
            using var key = certificate.GetECDsaPublicKey();
            if (key is null || key.KeySize != 256 || key.ExportParameters(false).Curve.Oid?.Value != "1.2.840.10045.3.1.7")
            {
                return new ApiError(KeyServiceErrors.UnsupportedKey, "a runtime's attested certificate must carry a named ECDSA P-256 key");
            }

            return Caller.ForRuntime(attestation, spki);
        }

        return Caller.ForPrincipal(peer.Value.Principal!.Value, spki);
    }
}

/// <summary>A caller, or why there is none.</summary>
internal readonly record struct ApiResultOrCaller(Caller? Caller, ApiError Error)
{
    public static implicit operator ApiResultOrCaller(Caller caller) => new(caller, default);

    public static implicit operator ApiResultOrCaller(ApiError error) => new(null, error);
}
