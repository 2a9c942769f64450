using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Sesemi.Security.Attestation.Snp;

namespace Sesemi.Security.Attestation.Tsm;

/// <summary>
/// What a Linux configfs-tsm report entry yielded (<c>/sys/kernel/config/tsm/report/&lt;name&gt;/{provider,outblob,auxblob}</c>),
/// and its saved form: the JSON object <c>{"provider": "sev_guest\n", "outblob": base64url, "auxblob": base64url}</c>
/// (<c>auxblob</c> optional; base64url without padding is written, standard base64 with padding is also read).
/// Pure: no file I/O. <c>sev_guest</c> captures carry a raw SEV-SNP report and the GHCB certificate table;
/// <c>tdx_guest</c> captures a TDX quote and no auxblob (one, if present, is kept but not interpreted).
/// </summary>
public sealed class TsmCapture
{
    /// <summary>The largest saved capture <see cref="Parse"/> reads.</summary>
    public const int MaxJsonSize = 256 * 1024;

    /// <summary>The largest outblob accepted (the kernel's own limit is 32 KiB today).</summary>
    public const int MaxOutBlobSize = 64 * 1024;

    /// <summary>The largest auxblob accepted: the size of the largest certificate table.</summary>
    public const int MaxAuxBlobSize = SnpCertTable.MaxSize;

    /// <summary>The <c>provider</c> attribute of a TDX guest, without its trailing newline.</summary>
    public const string TdxProvider = "tdx_guest";

    /// <summary>The <c>provider</c> attribute of an SEV-SNP guest, without its trailing newline.</summary>
    public const string SevSnpProvider = "sev_guest";

    private const string ProviderProperty = "provider";
    private const string OutBlobProperty = "outblob";
    private const string AuxBlobProperty = "auxblob";

    private TsmCapture(string provider, TeeKind kind, ReadOnlyMemory<byte> outBlob, ReadOnlyMemory<byte> auxBlob)
    {
        Provider = provider;
        Kind = kind;
        OutBlob = outBlob;
        AuxBlob = auxBlob;
    }

    /// <summary>The <c>provider</c> attribute exactly as the kernel printed it (usually with a trailing newline).</summary>
    public string Provider { get; }

    /// <summary>The TEE the provider names: <see cref="TeeKind.SevSnp"/> or <see cref="TeeKind.Tdx"/>.</summary>
    public TeeKind Kind { get; }

    /// <summary>The report (SEV-SNP) or quote (TDX).</summary>
    public ReadOnlyMemory<byte> OutBlob { get; }

    /// <summary>The SEV-SNP certificate table; empty when there was none.</summary>
    public ReadOnlyMemory<byte> AuxBlob { get; }

    /// <summary>The TEE a <c>provider</c> attribute names (surrounding whitespace ignored), or null for any other provider.</summary>
    public static TeeKind? KindOf(string provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return provider.Trim() switch
        {
            SevSnpProvider => TeeKind.SevSnp,
            TdxProvider => TeeKind.Tdx,
            _ => null,
        };
    }

    /// <summary>
    /// Validates and copies what an entry yielded: a known provider (else <see cref="AttestationFailure.UnsupportedFormat"/>),
    /// a non-empty outblob of at most <see cref="MaxOutBlobSize"/> bytes and an auxblob of at most <see cref="MaxAuxBlobSize"/>.
    /// </summary>
    public static AttestationResult<TsmCapture> Create(string provider, ReadOnlySpan<byte> outBlob, ReadOnlySpan<byte> auxBlob)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (KindOf(provider) is not { } kind)
        {
            return AttestationResult<TsmCapture>.Fail(
                AttestationFailure.UnsupportedFormat,
                $"configfs-tsm provider '{Printable(provider)}' is not supported (expected '{SevSnpProvider}' or '{TdxProvider}')");
        }

        if (outBlob.IsEmpty)
        {
            return Malformed("the outblob is empty");
        }

        if (outBlob.Length > MaxOutBlobSize)
        {
            return Malformed($"the outblob is {outBlob.Length} bytes; at most {MaxOutBlobSize} are accepted");
        }

        if (auxBlob.Length > MaxAuxBlobSize)
        {
            return Malformed($"the auxblob is {auxBlob.Length} bytes; at most {MaxAuxBlobSize} are accepted");
        }

        return AttestationResult<TsmCapture>.Ok(new TsmCapture(provider, kind, outBlob.ToArray(), auxBlob.ToArray()));
    }

    /// <summary>
    /// Parses a saved capture strictly: one JSON object with <c>provider</c> and <c>outblob</c> strings and an optional
    /// <c>auxblob</c> string (or null); no other or repeated properties; at most <see cref="MaxJsonSize"/> bytes.
    /// </summary>
    public static AttestationResult<TsmCapture> Parse(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxJsonSize)
        {
            return Malformed($"the capture is {json.Length} bytes; at most {MaxJsonSize} are accepted");
        }

        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        string? provider = null;
        byte[]? outBlob = null;
        byte[]? auxBlob = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 2 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Malformed("the capture is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!seen.Add(name))
                {
                    return Malformed($"the capture repeats '{Printable(name)}'");
                }

                reader.Read();
                switch (name)
                {
                    case ProviderProperty:
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            return Malformed("'provider' is not a string");
                        }

                        provider = reader.GetString()!;
                        break;
                    case OutBlobProperty:
                        if (!TryReadBlob(ref reader, OutBlobProperty, MaxOutBlobSize, out outBlob, out var outError))
                        {
                            return Malformed(outError);
                        }

                        break;
                    case AuxBlobProperty:
                        if (reader.TokenType == JsonTokenType.Null)
                        {
                            break;
                        }

                        if (!TryReadBlob(ref reader, AuxBlobProperty, MaxAuxBlobSize, out auxBlob, out var auxError))
                        {
                            return Malformed(auxError);
                        }

                        break;
                    default:
                        return Malformed($"the capture has an unknown property '{Printable(name)}' (expected provider, outblob, auxblob)");
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return Malformed("the capture is not a single JSON object");
            }
        }
        catch (JsonException e)
        {
            return Malformed($"the capture is not valid JSON: {e.Message}");
        }

        if (provider is null)
        {
            return Malformed("the capture has no 'provider'");
        }

        if (outBlob is null)
        {
            return Malformed("the capture has no 'outblob'");
        }

        return Create(provider, outBlob, auxBlob);
    }

    /// <summary>Parses a saved capture and turns it into evidence (see <see cref="ToEvidence"/>).</summary>
    public static AttestationResult<Evidence> ParseEvidence(ReadOnlySpan<byte> json)
    {
        var capture = Parse(json);
        return capture.IsValid ? capture.Value!.ToEvidence() : capture.Cast<Evidence>();
    }

    /// <summary>
    /// The evidence this capture is: <see cref="Kind"/>, the outblob as the quote, no claims (the caller attaches the
    /// claims whose hash it asked for), and for SEV-SNP the auxblob's certificates as DER endorsements, leaf first
    /// (VCEK, VLEK, ASK/ASVK, ARK, then any others in table order); none for TDX or an SEV-SNP capture without auxblob.
    /// </summary>
    public AttestationResult<Evidence> ToEvidence()
    {
        IReadOnlyList<ReadOnlyMemory<byte>> endorsements = [];
        if (Kind == TeeKind.SevSnp && !AuxBlob.IsEmpty)
        {
            var table = SnpCertTable.Parse(AuxBlob.Span);
            if (!table.IsValid)
            {
                return AttestationResult<Evidence>.Fail(table.Failure, "auxblob: " + table.Detail);
            }

            endorsements = [.. table.Value!.OrderBy(e => LeafFirstRank(e.Id)).Select(e => e.Der)];
        }

        return AttestationResult<Evidence>.Ok(new Evidence(Kind, OutBlob.ToArray(), Array.Empty<byte>(), endorsements));
    }

    /// <summary>Writes the saved form (provider, then outblob and, when present, auxblob as unpadded base64url).</summary>
    public void Write(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString(ProviderProperty, Provider);
        writer.WriteString(OutBlobProperty, Base64Url.EncodeToString(OutBlob.Span));
        if (!AuxBlob.IsEmpty)
        {
            writer.WriteString(AuxBlobProperty, Base64Url.EncodeToString(AuxBlob.Span));
        }

        writer.WriteEndObject();
    }

    /// <summary>The saved form as compact UTF-8 JSON.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static int LeafFirstRank(Guid id) =>
        id == SnpCertTable.Vcek ? 0 : id == SnpCertTable.Vlek ? 1 : id == SnpCertTable.Ask ? 2 : id == SnpCertTable.Ark ? 3 : 4;

    private static bool TryReadBlob(ref Utf8JsonReader reader, string name, int maxBytes, out byte[]? blob, out string error)
    {
        blob = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            error = $"'{name}' is not a string";
            return false;
        }

        // Base64 grows data by 4/3; allow padding on top.
        var maxChars = ((maxBytes + 2) / 3 * 4) + 4;
        if (reader.ValueSpan.Length > maxChars)
        {
            error = $"'{name}' is longer than {maxBytes} bytes";
            return false;
        }

        var text = reader.GetString()!;
        if (!TryDecodeBase64(text, out blob, out var reason))
        {
            error = $"'{name}' is not base64url or base64: {reason}";
            return false;
        }

        if (blob.Length > maxBytes)
        {
            error = $"'{name}' is {blob.Length} bytes; at most {maxBytes} are accepted";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>Decodes unpadded or padded base64url, or standard base64; refuses whitespace and mixed alphabets.</summary>
    private static bool TryDecodeBase64(string text, out byte[] bytes, out string reason)
    {
        bytes = [];
        var padding = text.Length - text.TrimEnd('=').Length;
        var body = text.AsSpan(0, text.Length - padding);
        var urlSafe = false;
        var standard = false;
        foreach (var c in body)
        {
            switch (c)
            {
                case >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9':
                    break;
                case '-' or '_':
                    urlSafe = true;
                    break;
                case '+' or '/':
                    standard = true;
                    break;
                default:
                    reason = c == '=' ? "padding inside the data" : $"character U+{(int)c:X4} is not in the alphabet";
                    return false;
            }
        }

        if (urlSafe && standard)
        {
            reason = "it mixes the base64url and base64 alphabets";
            return false;
        }

        if (padding > 2 || (padding > 0 && text.Length % 4 != 0) || body.Length % 4 == 1)
        {
            reason = "its length or padding is wrong";
            return false;
        }

        var normalized = new char[(body.Length + 3) / 4 * 4];
        for (var i = 0; i < body.Length; i++)
        {
            normalized[i] = body[i] switch
            {
                '-' => '+',
                '_' => '/',
                var c => c,
            };
        }

        normalized.AsSpan(body.Length).Fill('=');
        var decoded = new byte[body.Length / 4 * 3 + 2];
        if (!Convert.TryFromBase64Chars(normalized, decoded, out var written))
        {
            reason = "it does not decode";
            return false;
        }

        bytes = decoded[..written];
        reason = string.Empty;
        return true;
    }

    private static string Printable(string value)
    {
        var shortened = value.Length > 40 ? value[..40] + "…" : value;
        return shortened.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
    }

    private static AttestationResult<TsmCapture> Malformed(string detail) =>
        AttestationResult<TsmCapture>.Fail(AttestationFailure.MalformedEvidence, detail);
}
