using System.Security.Cryptography.X509Certificates;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Runtime.Trusted.Inference;
using Sesemi.Runtime.Trusted.Keys;
using Sesemi.Runtime.Trusted.Requests;
using Sesemi.Runtime.Trusted.Sessions;
using Sesemi.Security.Attestation;
using Sesemi.Security.Identities;
using Sesemi.Security.RaTls;

namespace Sesemi.Runtime.Trusted;

/// <summary>
/// The only entry point of the trusted core (the managed form of SGX's ecalls). It makes its attested TLS identity
/// inside, terminates key channels inside, and opens and seals request envelopes inside; the host carries bytes.
/// </summary>
public sealed class TrustedCore : IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly KeyRing _keys = new();
    private readonly KeyChannel _keyChannel;
    private readonly DigestService _digests;
    private readonly KeyServices _keyServices;
    private readonly ModelCache _models;
    private readonly InferenceService _inference;

    private TrustedCore(IEnclaveHost host, X509Certificate2 certificate, TrustedCoreOptions options, TimeProvider time)
    {
        _certificate = certificate;
        _keyServices = new KeyServices(host, certificate, options, time);
        _models = new ModelCache(options.ModelCacheBytes);
        _inference = new InferenceService(host, _keyServices, _models, options, time);
        // Principals prove themselves by key; attested peers are not accepted on this channel.
        var validator = new TlsPeerValidator(new RaTlsVerifier(new EvidenceVerifier([], time)), new AttestationPolicy(), TlsPeerKinds.Principal);
        _keyChannel = new KeyChannel(certificate, validator, _keys, options.MaxKeyChannelFrameBytes);
        _digests = new DigestService(_keys, options.MaxRequestBytes);
        PublicCertificate = X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    /// <summary>The core's attested certificate without its private key, for the host to publish.</summary>
    public X509Certificate2 PublicCertificate { get; }

    public int InstalledKeyCount => _keys.Count;

    /// <summary>Starts the core: validates options and creates the attested TLS identity through the host's quoting ocall.</summary>
    public static async Task<TrustedCore> StartAsync(IEnclaveHost host, TrustedCoreOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid trusted core options: " + string.Join(" ", errors), nameof(options));
        }

        var certificate = await RaTlsCertificate.CreateAsync(host, "runtime", time, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new TrustedCore(host, certificate, options, time);
    }

    /// <summary>Serves one key channel over <paramref name="transport"/> (raw TLS bytes carried by the host).</summary>
    public Task<KeyChannelOutcome> ServeKeyChannelAsync(Stream transport, CancellationToken cancellationToken) =>
        _keyChannel.ServeAsync(transport, cancellationToken);

    /// <summary>Opens a sealed request for <paramref name="user"/>, processes it and returns the sealed response or an error code.</summary>
    public RequestOutcome Process(PrincipalId user, string requestId, ReadOnlySpan<byte> sealedRequest)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        return _digests.Process(user, requestId, sealedRequest);
    }

    /// <summary>Keys for (user, model) from a KeyService, over attested TLS that ends here; cached until shortly before the lease ends.</summary>
    internal Task<(KeyHold? Hold, string? Error, string? Message)> AcquireKeysAsync(Uri keyService, PrincipalId user, ModelId model, CancellationToken cancellationToken) =>
        _keyServices.AcquireAsync(keyService, user, model, cancellationToken);

    /// <summary>Decrypts, validates and runs one request and seals its outputs; failures are codes, never plaintext.</summary>
    public Task<InferenceOutcome> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _inference.RunAsync(request, cancellationToken);
    }

    public void Dispose()
    {
        _inference.Dispose();
        _models.Dispose();
        _keyServices.Dispose();
        _keys.Dispose();
        _certificate.Dispose();
        PublicCertificate.Dispose();
    }
}
