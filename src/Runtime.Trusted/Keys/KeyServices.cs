using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Identities;
using Sesemi.Security.KeyRelease;
using Sesemi.Security.RaTls;

namespace Sesemi.Runtime.Trusted.Keys;

/// <summary>
/// Where the core gets keys: one attested session per KeyService address (at most <see cref="MaxKeyServices"/>), each
/// verified against the KeyService measurements in the core's measured configuration, and the cache of what they
/// released.
/// </summary>
internal sealed class KeyServices : IDisposable
{
    public const int MaxKeyServices = 16;

    private readonly ConcurrentDictionary<string, KeyServiceSession> _sessions = new(StringComparer.Ordinal);
    private readonly IEnclaveHost _host;
    private readonly X509Certificate2 _certificate;
    private readonly ECDiffieHellman _releaseKey;
    private readonly TlsPeerValidator _validator;
    private readonly TrustedCoreOptions _options;
    private readonly KeyCache _cache;

    public KeyServices(IEnclaveHost host, X509Certificate2 certificate, TrustedCoreOptions options, TimeProvider time)
    {
        _host = host;
        _certificate = certificate;
        _options = options;
        _releaseKey = KeyReleaseSeal.RecipientKeyOf(certificate);
        var trusted = options.TrustedKeyServices.Select(Measurement.Parse).ToArray();
        IEvidenceVerifier[] verifiers = options.SimulatedRootPins.Count > 0 ? [new SimulatedEvidenceVerifier(options.SimulatedRootPins)] : [];
        var policy = AttestationPolicy.ForMeasurements(trusted) with { AllowSimulation = trusted.Any(m => m.Kind == TeeKind.Simulated) };
        _validator = new TlsPeerValidator(new RaTlsVerifier(new EvidenceVerifier(verifiers, time)), policy, TlsPeerKinds.Attested);
        _cache = new KeyCache(time, options.KeyRefreshBeforeExpiry);
    }

    public int CachedReleases => _cache.Count;

    /// <summary>Keys for (user, model) from the KeyService at <paramref name="keyService"/> (an https URL), cached per lease.</summary>
    public async Task<(KeyHold? Hold, string? Error, string? Message)> AcquireAsync(Uri keyService, PrincipalId user, ModelId model, CancellationToken cancellationToken)
    {
        var (hold, error, message, _) = await AcquireWithFreshnessAsync(keyService, user, model, cancellationToken).ConfigureAwait(false);
        return (hold, error, message);
    }

    /// <summary>As <see cref="AcquireAsync"/>, also saying whether this call fetched the keys (a cold key path).</summary>
    public Task<(KeyHold? Hold, string? Error, string? Message, bool Fetched)> AcquireWithFreshnessAsync(Uri keyService, PrincipalId user, ModelId model, CancellationToken cancellationToken)
    {
        if (!keyService.IsAbsoluteUri || keyService.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(keyService.UserInfo))
        {
            return Task.FromResult<(KeyHold?, string?, string?, bool)>((null, KeyFetchErrors.Unreachable, "the KeyService address must be an https URL", false));
        }

        var address = keyService.GetLeftPart(UriPartial.Authority);
        if (!_sessions.TryGetValue(address, out var session))
        {
            if (_sessions.Count >= MaxKeyServices)
            {
                return Task.FromResult<(KeyHold?, string?, string?, bool)>((null, KeyFetchErrors.Unreachable, $"this instance talks to at most {MaxKeyServices} KeyServices", false));
            }

            var created = new KeyServiceSession(new Uri(address), _host, _certificate, _releaseKey, _validator, _options.KeyServiceTimeout);
            session = _sessions.GetOrAdd(address, created);
            if (!ReferenceEquals(session, created))
            {
                created.Dispose();
            }
        }

        return _cache.AcquireAsync(address, user, model, ct => session.ReleaseAsync(user, model, ct), cancellationToken);
    }

    public void Dispose()
    {
        _cache.Dispose();
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        _releaseKey.Dispose();
    }
}
