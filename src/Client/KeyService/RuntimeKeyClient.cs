using System.Security.Cryptography.X509Certificates;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation;
using Sesemi.Security.KeyRelease;
using Sesemi.Security.RaTls;

namespace Sesemi.Client.KeyService;

/// <summary>
/// The KeyService API for runtimes (and tests that play one): the runtime proves its measurement with an attested
/// client certificate; releases are sealed to that certificate's key and opened here, under the context of the lease,
/// user, model and measurement, after checking they are for what was asked.
/// </summary>
public sealed class RuntimeKeyClient : IDisposable
{
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private readonly KeyServiceConnection _connection;
    private readonly X509Certificate2 _certificate;
    private readonly bool _ownsCertificate;

    internal RuntimeKeyClient(KeyServiceConnection connection, X509Certificate2 attestedCertificate, bool ownsCertificate)
    {
        ArgumentNullException.ThrowIfNull(connection);
        RequirePrivateKey(attestedCertificate);
        _connection = connection;
        _certificate = attestedCertificate;
        _ownsCertificate = ownsCertificate;
    }

    /// <summary>For tests: a runtime client over any handler, opening releases with <paramref name="attestedCertificate"/>'s key (not owned).</summary>
    internal RuntimeKeyClient(Uri baseAddress, HttpMessageHandler handler, X509Certificate2 attestedCertificate)
        : this(new KeyServiceConnection(baseAddress, handler), attestedCertificate, ownsCertificate: false)
    {
    }

    /// <summary>The attested TLS certificate this runtime presents and receives releases under.</summary>
    public X509Certificate2 Certificate => _certificate;

    public Uri BaseAddress => _connection.BaseAddress;

    /// <summary>Makes a fresh attested certificate with <paramref name="provider"/> (owned by the client) and connects with it.</summary>
    public static async Task<RuntimeKeyClient> CreateAsync(KeyServiceProfile profile, IEvidenceProvider provider, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        KeyServiceProfiles.EnsureValid(profile);
        var certificate = await RaTlsCertificate.CreateAsync(provider, "runtime", time, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return new RuntimeKeyClient(KeyServiceConnection.Open(profile, certificate, time), certificate, ownsCertificate: true);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>Connects with an existing attested certificate (with its private key; not owned: dispose it after the client).</summary>
    public static RuntimeKeyClient Create(KeyServiceProfile profile, X509Certificate2 attestedCertificate, TimeProvider time)
    {
        RequirePrivateKey(attestedCertificate);
        return new(KeyServiceConnection.Open(profile, attestedCertificate, time), attestedCertificate, ownsCertificate: false);
    }

    /// <summary>
    /// POST /v1/releases: asks for the keys serving <paramref name="user"/> on <paramref name="model"/>, checks the
    /// release is for them, and opens it. The caller disposes the result (which zeroes the keys).
    /// </summary>
    public async Task<ReleasedKeys> ReleaseAsync(string user, string model, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(model);
        var release = await _connection.PostAsync(KeyServiceRoutes.Releases, new KeyReleaseRequest(user, model), Json.KeyReleaseRequest, Json.KeyRelease, cancellationToken).ConfigureAwait(false);
        return Open(release, user, model);
    }

    /// <summary>POST /v1/releases/renew: extends a lease this runtime holds, while the grant still stands.</summary>
    public async Task<LeaseInfo> RenewAsync(string leaseId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        var lease = await _connection.PostAsync(KeyServiceRoutes.RenewLease, new RenewLeaseRequest(leaseId), Json.RenewLeaseRequest, Json.LeaseInfo, cancellationToken).ConfigureAwait(false);
        return lease.LeaseId == leaseId
            ? lease
            : throw Rejected("the KeyService renewed a different lease than the one asked for");
    }

    public void Dispose()
    {
        _connection.Dispose();
        if (_ownsCertificate)
        {
            _certificate.Dispose();
        }
    }

    /// <summary>Checks a release against the request and opens it with this runtime's certificate key.</summary>
    internal ReleasedKeys Open(KeyRelease release, string user, string model)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (!string.Equals(release.User, user, StringComparison.Ordinal) || !string.Equals(release.Model, model, StringComparison.Ordinal))
        {
            throw Rejected("the KeyService released keys for a different user or model than the ones asked for");
        }

        if (string.IsNullOrEmpty(release.LeaseId) || !Measurement.TryParse(release.Measurement, out _))
        {
            throw Rejected("the release has no lease id or no valid measurement");
        }

        using var recipient = KeyReleaseSeal.RecipientKeyOf(_certificate);
        var payload = KeyReleaseOpener.TryOpen(
            recipient, release.LeaseId, release.User, release.Model, release.Measurement, release.ExpiresAt, release.Sealed, out var failure);
        return payload is null
            ? throw Rejected(failure!)
            : new ReleasedKeys(release.LeaseId, release.User, release.Model, release.Measurement, payload);
    }

    private static void RequirePrivateKey(X509Certificate2 attestedCertificate)
    {
        ArgumentNullException.ThrowIfNull(attestedCertificate);
        if (!attestedCertificate.HasPrivateKey)
        {
            throw new ArgumentException("The runtime's certificate must carry its private key (releases are sealed to it).", nameof(attestedCertificate));
        }
    }

    private static KeyServiceException Rejected(string message) => new(KeyServiceClientErrors.ReleaseRejected, message, null);
}

/// <summary>
/// An opened key release: the lease it is held under, who and what it serves, and the keys (model key versions and
/// the user's request key versions). The keys must not be used after <see cref="ExpiresAt"/> unless the lease is
/// renewed. Disposing zeroes them.
/// </summary>
public sealed class ReleasedKeys : IDisposable
{
    internal ReleasedKeys(string leaseId, string user, string model, string measurement, KeyReleasePayload keys)
    {
        LeaseId = leaseId;
        User = user;
        Model = model;
        Measurement = measurement;
        Keys = keys;
    }

    public string LeaseId { get; }

    public string User { get; }

    public string Model { get; }

    /// <summary>The runtime measurement the KeyService released the keys for (the one it attested in this runtime's certificate).</summary>
    public string Measurement { get; }

    /// <summary>The lease expiry, as sealed with the keys.</summary>
    public DateTimeOffset ExpiresAt => Keys.ExpiresAt;

    /// <summary>The released keys; owned by this object.</summary>
    public KeyReleasePayload Keys { get; }

    public void Dispose() => Keys.Dispose();

    public override string ToString() => $"ReleasedKeys(lease {LeaseId}, model {Model}, user {User}, expires {ExpiresAt:O})";
}
