using System.Text;
using Sesemi.Security.Attestation;

namespace Sesemi.Hosting.Attestation;

/// <summary>
/// SGX DCAP evidence inside an enclave run by Gramine (manifest <c>sgx.remote_attestation = "dcap"</c>) through its
/// <c>/dev/attestation</c> pseudo-files: check <c>attestation_type</c> is <c>dcap</c>, write the 64-byte report data to
/// <c>user_report_data</c>, read <c>quote</c>. The quote carries the PCK certificate chain, so there are no separate
/// endorsements. <c>user_report_data</c> is process-wide, so requests are serialised across all instances.
/// </summary>
public sealed class GramineSgxEvidenceProvider : IEvidenceProvider
{
    /// <summary>Where Gramine exposes its attestation pseudo-files.</summary>
    public const string DefaultPath = "/dev/attestation";

    /// <summary>The largest quote accepted (DCAP quotes with a PEM PCK chain are about 5 KiB).</summary>
    public const int MaxQuoteSize = 64 * 1024;

    private const string Hint = "is this process running inside Gramine-SGX with sgx.remote_attestation = \"dcap\" in its manifest?";

    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    private readonly string _path;
    private readonly IPseudoFiles _files;

    /// <summary>Creates a provider that uses the pseudo-files under <paramref name="path"/>.</summary>
    public GramineSgxEvidenceProvider(string path = DefaultPath)
        : this(path, PseudoFiles.Instance)
    {
    }

    internal GramineSgxEvidenceProvider(string path, IPseudoFiles files)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(files);
        _path = path;
        _files = files;
    }

    public TeeKind Kind => TeeKind.SgxDcap;

    public async ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken)
    {
        var quote = await CollectQuoteAsync(ReportData.FromClaims(claims.Span), cancellationToken).ConfigureAwait(false);
        return new Evidence(TeeKind.SgxDcap, quote, claims.ToArray(), []);
    }

    /// <summary>Returns the raw DCAP quote for <paramref name="reportData"/> (exactly 64 bytes), e.g. to save it.</summary>
    /// <exception cref="EvidenceUnavailableException">Not under Gramine, attestation not set to DCAP, or the quote is unusable.</exception>
    public async ValueTask<byte[]> CollectQuoteAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken)
    {
        if (reportData.Length != ReportData.Size)
        {
            throw new ArgumentException($"Report data is exactly {ReportData.Size} bytes.", nameof(reportData));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!_files.DirectoryExists(_path))
        {
            throw new EvidenceUnavailableException($"'{_path}' does not exist: {Hint}");
        }

        await OneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var typePath = Path.Combine(_path, "attestation_type");
            var type = Encoding.ASCII.GetString(await ReadAsync(typePath, 64, cancellationToken).ConfigureAwait(false)).Trim().TrimEnd('\0');
            if (type != "dcap")
            {
                throw new EvidenceUnavailableException(type switch
                {
                    "none" => $"'{typePath}' says 'none': remote attestation is off; set sgx.remote_attestation = \"dcap\" in the Gramine manifest.",
                    "epid" => $"'{typePath}' says 'epid': EPID attestation is not supported (Intel ended it); use DCAP (sgx.remote_attestation = \"dcap\").",
                    _ => $"'{typePath}' says '{type}', not 'dcap'; set sgx.remote_attestation = \"dcap\" in the Gramine manifest.",
                });
            }

            var reportDataPath = Path.Combine(_path, "user_report_data");
            try
            {
                await _files.WriteAsync(reportDataPath, reportData, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsExpected(e))
            {
                throw Unavailable(reportDataPath, "write", e);
            }

            var quote = await ReadAsync(Path.Combine(_path, "quote"), MaxQuoteSize, cancellationToken).ConfigureAwait(false);
            return quote.Length > 0
                ? quote
                : throw new EvidenceUnavailableException($"'{Path.Combine(_path, "quote")}' is empty; is the AESM service with the DCAP quoting enclave running on the host?");
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    private async ValueTask<byte[]> ReadAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            return await _files.ReadAsync(path, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsExpected(e))
        {
            throw Unavailable(path, "read", e);
        }
    }

    private static bool IsExpected(Exception e) => e is IOException or UnauthorizedAccessException or InvalidDataException;

    private static EvidenceUnavailableException Unavailable(string path, string what, Exception e)
    {
        var reason = e switch
        {
            UnauthorizedAccessException => "permission denied",
            FileNotFoundException or DirectoryNotFoundException => "it does not exist; " + Hint,
            _ => e.Message,
        };
        return new EvidenceUnavailableException($"Could not {what} '{path}': {reason}", e);
    }
}
