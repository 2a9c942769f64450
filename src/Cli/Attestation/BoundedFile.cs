namespace Sesemi.Cli.Attestation;

/// <summary>
/// Reads a whole file up to a limit without trusting its reported length (devices, FIFOs and pseudo-files report 0 or
/// a page): it never reads more than the limit plus one byte, and says which file was too large.
/// </summary>
internal static class BoundedFile
{
    public static async Task<byte[]> ReadAsync(string path, int limit, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: no such file.");
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        var buffer = new byte[Math.Min(limit + 1, 64 * 1024)];
        using var content = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            content.Write(buffer, 0, read);
            if (content.Length > limit)
            {
                throw new InvalidDataException($"{path}: larger than {limit} bytes; at most {limit} are accepted.");
            }
        }

        return content.ToArray();
    }
}
