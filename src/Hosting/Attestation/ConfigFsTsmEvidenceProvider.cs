using System.Globalization;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Tsm;

namespace Sesemi.Hosting.Attestation;

/// <summary>
/// Evidence from a TDX or SEV-SNP guest through Linux configfs-tsm (kernel 6.7+). Per request: mkdir a fresh entry
/// under <see cref="ConfigFsTsmOptions.ReportPath"/>, read <c>generation</c>, write the 64-byte report data to
/// <c>inblob</c> (and <c>privlevel</c> when set), read <c>provider</c>, <c>outblob</c> and, for SEV-SNP, <c>auxblob</c>,
/// then re-read <c>generation</c>: if it moved by more than this request's own writes, another process wrote to the
/// entry and the result is discarded and retried on a new entry. The entry is removed with rmdir on every path.
/// </summary>
public sealed class ConfigFsTsmEvidenceProvider : IEvidenceProvider
{
    private const int MaxSmallAttribute = 64;
    private const string MountHint =
        "is this a TDX or SEV-SNP guest with configfs-tsm (Linux 6.7+)? Mount configfs with 'mount -t configfs none /sys/kernel/config' "
        + "(in a container, bind-mount /sys/kernel/config) and run as root or a user allowed to create entries there";

    private readonly ConfigFsTsmOptions _options;
    private readonly IPseudoFiles _files;

    public ConfigFsTsmEvidenceProvider(ConfigFsTsmOptions options)
        : this(options, PseudoFiles.Instance)
    {
    }

    internal ConfigFsTsmEvidenceProvider(ConfigFsTsmOptions options, IPseudoFiles files)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrEmpty(options.ReportPath);
        ArgumentNullException.ThrowIfNull(options.EntryNameFactory);
        if (options.ExpectedKind is not (TeeKind.Tdx or TeeKind.SevSnp))
        {
            throw new ArgumentException($"configfs-tsm provides {TeeKind.Tdx} or {TeeKind.SevSnp} evidence, not {options.ExpectedKind}.", nameof(options));
        }

        if (options.PrivilegeLevel is { } level && (level is < 0 or > 3 || options.ExpectedKind != TeeKind.SevSnp))
        {
            throw new ArgumentException("A privilege level (VMPL 0-3) applies to SEV-SNP only.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _options = options;
        _files = files;
    }

    public TeeKind Kind => _options.ExpectedKind;

    public async ValueTask<Evidence> GetEvidenceAsync(ReadOnlyMemory<byte> claims, CancellationToken cancellationToken)
    {
        var capture = await CollectAsync(ReportData.FromClaims(claims.Span), cancellationToken).ConfigureAwait(false);
        var evidence = capture.ToEvidence();
        if (!evidence.IsValid)
        {
            throw new EvidenceUnavailableException($"configfs-tsm returned unusable {capture.Kind} evidence: {evidence}.");
        }

        return evidence.Value! with { Claims = claims.ToArray() };
    }

    /// <summary>
    /// Runs one configfs-tsm request for <paramref name="reportData"/> (exactly 64 bytes) and returns what the entry
    /// yielded, e.g. to save with <see cref="TsmCapture.ToJson"/>.
    /// </summary>
    /// <exception cref="EvidenceUnavailableException">configfs-tsm is missing, not accessible, another TEE, or kept being changed by another writer.</exception>
    public async ValueTask<TsmCapture> CollectAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken)
    {
        if (reportData.Length != ReportData.Size)
        {
            throw new ArgumentException($"Report data is exactly {ReportData.Size} bytes.", nameof(reportData));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var root = _options.ReportPath;
        if (!_files.DirectoryExists(root))
        {
            throw new EvidenceUnavailableException($"'{root}' does not exist: {MountHint}.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var capture = await AttemptAsync(root, reportData, cancellationToken).ConfigureAwait(false);
            if (capture is not null)
            {
                return capture;
            }

            if (attempt == _options.MaxAttempts)
            {
                throw new EvidenceUnavailableException(
                    $"Another process kept writing to the configfs-tsm entries created under '{root}' (their 'generation' changed during "
                    + $"the request) in {attempt} attempts; find the process that writes to entries it did not create.");
            }
        }
    }

    /// <summary>One request on a fresh entry; null when another writer changed the entry's generation meanwhile.</summary>
    private async ValueTask<TsmCapture?> AttemptAsync(string root, ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken)
    {
        var name = _options.EntryNameFactory();
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.AsSpan().IndexOfAny('/', '\0') >= 0 || name.Length > 200)
        {
            throw new InvalidOperationException($"The entry name factory returned '{name}', which is not a single path component.");
        }

        var entry = Path.Combine(root, name);
        Run(entry, () => _files.CreateDirectory(entry), "create the report entry");
        TsmCapture? capture;
        try
        {
            capture = await RequestAsync(entry, reportData, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                _files.RemoveDirectory(entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The original failure matters more; a leaked entry holds only a report and goes away at reboot.
            }

            throw;
        }

        Run(entry, () => _files.RemoveDirectory(entry), "remove the report entry");
        return capture;
    }

    private async ValueTask<TsmCapture?> RequestAsync(string entry, ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken)
    {
        var before = await ReadGenerationAsync(entry, cancellationToken).ConfigureAwait(false);
        var writes = 0L;
        await WriteAsync(entry, "inblob", reportData, cancellationToken).ConfigureAwait(false);
        writes++;
        if (_options.PrivilegeLevel is { } level)
        {
            await WriteAsync(entry, "privlevel", Encoding.ASCII.GetBytes(level.ToString(CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false);
            writes++;
        }

        var provider = Encoding.ASCII.GetString(await ReadAsync(entry, "provider", MaxSmallAttribute, cancellationToken).ConfigureAwait(false));
        var kind = TsmCapture.KindOf(provider);
        if (kind != _options.ExpectedKind)
        {
            throw new EvidenceUnavailableException(
                $"'{Path.Combine(entry, "provider")}' says '{provider.Trim()}' ({kind?.ToString() ?? "unsupported"}), but this provider is configured for "
                + $"{_options.ExpectedKind}; configure the TEE kind this guest really is.");
        }

        var outBlob = await ReadAsync(entry, "outblob", TsmCapture.MaxOutBlobSize, cancellationToken).ConfigureAwait(false);
        var auxBlob = kind == TeeKind.SevSnp && _files.FileExists(Path.Combine(entry, "auxblob"))
            ? await ReadAsync(entry, "auxblob", TsmCapture.MaxAuxBlobSize, cancellationToken).ConfigureAwait(false)
            : [];
        var after = await ReadGenerationAsync(entry, cancellationToken).ConfigureAwait(false);
        if (after != before + writes)
        {
            return null;
        }

        var capture = TsmCapture.Create(provider, outBlob, auxBlob);
        return capture.IsValid
            ? capture.Value!
            : throw new EvidenceUnavailableException($"'{entry}' yielded unusable output: {capture}.");
    }

    private async ValueTask<long> ReadGenerationAsync(string entry, CancellationToken cancellationToken)
    {
        var text = Encoding.ASCII.GetString(await ReadAsync(entry, "generation", MaxSmallAttribute, cancellationToken).ConfigureAwait(false)).Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            ? generation
            : throw new EvidenceUnavailableException($"'{Path.Combine(entry, "generation")}' holds '{text}', not a number; is '{_options.ReportPath}' configfs-tsm?");
    }

    private async ValueTask<byte[]> ReadAsync(string entry, string attribute, int maxBytes, CancellationToken cancellationToken)
    {
        var path = Path.Combine(entry, attribute);
        try
        {
            return await _files.ReadAsync(path, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsExpected(e))
        {
            throw Unavailable(path, "read", e);
        }
    }

    private async ValueTask WriteAsync(string entry, string attribute, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = Path.Combine(entry, attribute);
        try
        {
            await _files.WriteAsync(path, content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsExpected(e))
        {
            throw Unavailable(path, "write", e);
        }
    }

    private static void Run(string path, Action action, string what)
    {
        try
        {
            action();
        }
        catch (Exception e) when (IsExpected(e))
        {
            throw Unavailable(path, what, e);
        }
    }

    private static bool IsExpected(Exception e) => e is IOException or UnauthorizedAccessException or InvalidDataException;

    private static EvidenceUnavailableException Unavailable(string path, string what, Exception e)
    {
        var reason = e switch
        {
            UnauthorizedAccessException => "permission denied; run as root or a user allowed to use configfs-tsm",
            FileNotFoundException or DirectoryNotFoundException => $"it does not exist; {MountHint}",
            InvalidDataException => e.Message,
            _ => e.Message,
        };
        return new EvidenceUnavailableException($"Could not {what} '{path}': {reason}.", e);
    }
}
