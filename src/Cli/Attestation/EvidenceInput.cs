using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Tsm;
using Sesemi.Security.RaTls;

namespace Sesemi.Cli.Attestation;

/// <summary>
/// Evidence read from a file and its detected format: an SGX quote, a TDX quote, an SEV-SNP report, a configfs-tsm
/// capture (its JSON, or the report directory itself), or an RA-TLS certificate (PEM or DER). Leading <c>#</c>
/// comment lines are skipped (published test vectors carry them).
/// </summary>
internal sealed class EvidenceInput
{
    public const int MaxFileSize = 1024 * 1024;
    private const int SnpReportSize = 1184;

    private EvidenceInput(string format, Evidence? evidence, X509Certificate2? certificate)
    {
        Format = format;
        Evidence = evidence;
        Certificate = certificate;
    }

    public string Format { get; }

    /// <summary>The evidence, for everything but certificates.</summary>
    public Evidence? Evidence { get; }

    /// <summary>The RA-TLS certificate, when the input is one.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Reads and detects <paramref name="path"/>; throws <see cref="InvalidDataException"/> with the reason when it is none of the formats.</summary>
    public static async Task<EvidenceInput> ReadAsync(string path, IReadOnlyList<ReadOnlyMemory<byte>> extraCertificates, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            return FromCapture(await ReadCaptureDirectoryAsync(path, cancellationToken).ConfigureAwait(false), extraCertificates, "configfs-tsm report directory");
        }

        var bytes = await BoundedFile.ReadAsync(path, MaxFileSize, cancellationToken).ConfigureAwait(false);
        return Detect(bytes, extraCertificates);
    }

    public static EvidenceInput Detect(ReadOnlySpan<byte> bytes, IReadOnlyList<ReadOnlyMemory<byte>> extraCertificates)
    {
        var content = SkipComments(bytes);
        if (content.IsEmpty)
        {
            throw new InvalidDataException("the file is empty.");
        }

        if (content.StartsWith("-----BEGIN CERTIFICATE"u8))
        {
            return FromCertificate(X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(content)));
        }

        if (content[0] == (byte)'{')
        {
            return FromCapture(TsmCapture.Parse(content), extraCertificates, "configfs-tsm capture (JSON)");
        }

        if (content[0] == 0x30 && TryLoadCertificate(content) is { } certificate)
        {
            return FromCertificate(certificate);
        }

        if (content.Length < 8)
        {
            throw new InvalidDataException($"{content.Length} bytes is too short for any evidence format.");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(content);
        var keyType = BinaryPrimitives.ReadUInt16LittleEndian(content[2..]);
        if (keyType == 0 && content.Length == SnpReportSize)
        {
            var snpVersion = BinaryPrimitives.ReadUInt32LittleEndian(content);
            return new EvidenceInput($"SEV-SNP attestation report v{snpVersion}", new Evidence(TeeKind.SevSnp, content.ToArray(), ReadOnlyMemory<byte>.Empty, extraCertificates), null);
        }

        if (version is 3 or 4 or 5 && keyType is 2 or 3)
        {
            var kind = RaTlsFormat.IntelQuoteKind(content);
            var name = kind == TeeKind.Tdx ? "TDX" : "SGX";
            return new EvidenceInput($"{name} ECDSA quote v{version}", new Evidence(kind, content.ToArray(), ReadOnlyMemory<byte>.Empty, []), null);
        }

        throw new InvalidDataException(
            "not a recognised evidence format (SGX or TDX quote, SEV-SNP report, configfs-tsm capture, RA-TLS certificate): "
            + $"the first bytes are {Convert.ToHexStringLower(content[..8])}.");
    }

    private static EvidenceInput FromCertificate(X509Certificate2 certificate) =>
        new("RA-TLS certificate", null, certificate);

    private static EvidenceInput FromCapture(AttestationResult<TsmCapture> capture, IReadOnlyList<ReadOnlyMemory<byte>> extraCertificates, string format)
    {
        var parsed = capture.IsValid ? capture.Value!.ToEvidence() : capture.Cast<Evidence>();
        if (!parsed.IsValid)
        {
            throw new InvalidDataException($"{format}: {parsed.Detail}");
        }

        var evidence = parsed.Value!;
        if (extraCertificates.Count > 0)
        {
            evidence = evidence with { Endorsements = [.. evidence.Endorsements, .. extraCertificates] };
        }

        return new EvidenceInput($"{format}, {(evidence.Kind == TeeKind.Tdx ? "TDX quote" : "SEV-SNP report")}", evidence, null);
    }

    private static async Task<AttestationResult<TsmCapture>> ReadCaptureDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        async Task<byte[]?> ReadAsync(string name)
        {
            var file = Path.Combine(path, name);
            if (!File.Exists(file))
            {
                return null;
            }

            return await BoundedFile.ReadAsync(file, MaxFileSize, cancellationToken).ConfigureAwait(false);
        }

        var provider = await ReadAsync("provider").ConfigureAwait(false) ?? throw new InvalidDataException($"{path}: a configfs-tsm report directory has a 'provider' file.");
        var outblob = await ReadAsync("outblob").ConfigureAwait(false) ?? throw new InvalidDataException($"{path}: no 'outblob' file.");
        var auxblob = await ReadAsync("auxblob").ConfigureAwait(false);
        return TsmCapture.Create(Encoding.UTF8.GetString(provider), outblob, auxblob ?? []);
    }

    private static X509Certificate2? TryLoadCertificate(ReadOnlySpan<byte> der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static ReadOnlySpan<byte> SkipComments(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && bytes[0] == (byte)'#')
        {
            var end = bytes.IndexOf((byte)'\n');
            bytes = end < 0 ? [] : bytes[(end + 1)..];
        }

        return bytes;
    }
}
