using System.Globalization;
using System.Text.Json;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>
/// A signed Intel collateral body <c>{"&lt;name&gt;":{…},"signature":"&lt;hex r‖s&gt;"}</c> split into the exact
/// bytes of the signed value, as they appear in the body, and the signature.
/// </summary>
internal sealed record SignedJson(ReadOnlyMemory<byte> Signed, ReadOnlyMemory<byte> Signature);

/// <summary>Strict, size-limited reading of Intel's collateral JSON. Helpers throw <see cref="FormatException"/>; parsers turn it into a failure value.</summary>
internal static class CollateralJson
{
    /// <summary>The largest TCB info or enclave identity body accepted (real ones are a few KiB).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>ECDSA P-256 r‖s.</summary>
    public const int SignatureBytes = 64;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 16,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 16,
        AllowDuplicateProperties = false,
    };

    /// <summary>The body without trailing NUL bytes and ASCII whitespace (OE stores collateral text with a NUL).</summary>
    public static ReadOnlyMemory<byte> TrimEnd(ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        var end = span.Length;
        while (end > 0 && span[end - 1] is 0 or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            end--;
        }

        return body[..end];
    }

    /// <summary>The name of the first property of a top-level JSON object, or null when the bytes are not one.</summary>
    public static string? FirstPropertyName(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && reader.Read() && reader.TokenType == JsonTokenType.PropertyName
                ? reader.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Splits <c>{"<paramref name="valueName"/>":{…},"signature":"…"}</c>: the signed value's raw bytes (from its
    /// <c>{</c> to its matching <c>}</c>, never re-serialized) and the 64-byte signature. Any other top-level
    /// property, a duplicate, or trailing content is refused.
    /// </summary>
    public static AttestationResult<SignedJson> Split(ReadOnlyMemory<byte> body, string valueName)
    {
        body = TrimEnd(body);
        if (body.IsEmpty)
        {
            return Fail("the body is not a JSON object (empty)");
        }

        if (body.Length > MaxBytes)
        {
            return Fail($"the body is {body.Length} bytes, more than the {MaxBytes} accepted");
        }

        try
        {
            var reader = new Utf8JsonReader(body.Span, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Fail("the body is not a JSON object");
            }

            ReadOnlyMemory<byte>? signed = null;
            byte[]? signature = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(valueName))
                {
                    if (signed is not null || !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                    {
                        return Fail($"'{valueName}' must appear once, as an object");
                    }

                    var start = checked((int)reader.TokenStartIndex);
                    reader.Skip();
                    signed = body[start..checked((int)reader.BytesConsumed)];
                }
                else if (reader.ValueTextEquals("signature"))
                {
                    if (signature is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return Fail("'signature' must appear once, as a string");
                    }

                    signature = Hex(reader.GetString()!, SignatureBytes, "signature");
                }
                else
                {
                    return Fail($"unexpected top-level property '{reader.GetString()}'");
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return Fail("the body does not end after its top-level object");
            }

            if (signed is null || signature is null)
            {
                return Fail($"the body needs both '{valueName}' and 'signature'");
            }

            return AttestationResult<SignedJson>.Ok(new SignedJson(signed.Value, signature));
        }
        catch (JsonException e)
        {
            return Fail($"invalid JSON: {e.Message}");
        }
        catch (FormatException e)
        {
            return Fail(e.Message);
        }
    }

    /// <summary>Parses the signed value (already split from its body) as a document that refuses duplicate properties.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> value) => JsonDocument.Parse(value, DocumentOptions);

    /// <summary>
    /// Splits a signed collateral body (<c>{"&lt;valueName&gt;": {…}, "signature": "…"}</c>) and reads its value with
    /// <paramref name="read"/>; anything malformed is a failure naming <paramref name="what"/>.
    /// </summary>
    public static AttestationResult<T> ParseSigned<T>(ReadOnlyMemory<byte> body, string valueName, string what, Func<JsonElement, SignedJson, T> read)
        where T : class
    {
        var split = Split(body, valueName);
        if (!split.IsValid)
        {
            return AttestationResult<T>.Fail(AttestationFailure.MalformedEvidence, $"{what}: {split.Detail}");
        }

        try
        {
            using var document = Parse(split.Value!.Signed);
            return AttestationResult<T>.Ok(read(document.RootElement, split.Value));
        }
        catch (JsonException e)
        {
            return AttestationResult<T>.Fail(AttestationFailure.MalformedEvidence, $"{what}: invalid JSON: {e.Message}");
        }
        catch (FormatException e)
        {
            return AttestationResult<T>.Fail(AttestationFailure.MalformedEvidence, $"{what}: {e.Message}");
        }
    }

    public static JsonElement Property(JsonElement parent, string name, string where)
    {
        if (parent.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where} is not an object");
        }

        return parent.TryGetProperty(name, out var value) ? value : throw new FormatException($"{where}: '{name}' is missing");
    }

    public static bool TryProperty(JsonElement parent, string name, out JsonElement value) =>
        parent.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public static string String(JsonElement parent, string name, string where)
    {
        var value = Property(parent, name, where);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new FormatException($"{where}: '{name}' is not a string");
    }

    public static int Integer(JsonElement parent, string name, string where, int min, int max)
    {
        var value = Property(parent, name, where);
        return Integer(value, $"{where}.{name}", min, max);
    }

    public static int Integer(JsonElement value, string where, int min, int max)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            throw new FormatException($"{where} is not an integer in [{min}, {max}]");
        }

        return number;
    }

    public static byte[] Hex(JsonElement parent, string name, string where, int bytes) =>
        Hex(String(parent, name, where), bytes, $"{where}.{name}");

    public static byte[] Hex(string text, int bytes, string where)
    {
        if (text.Length != bytes * 2)
        {
            throw new FormatException($"{where} must be {bytes * 2} hex digits, not {text.Length} characters");
        }

        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new FormatException($"{where} is not hex");
        }
    }

    /// <summary>An Intel date, <c>yyyy-MM-ddTHH:mm:ssZ</c> (fractional seconds tolerated), always UTC.</summary>
    public static DateTimeOffset Date(JsonElement parent, string name, string where)
    {
        var text = String(parent, name, where);
        return DateTimeOffset.TryParseExact(
            text,
            ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"],
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out var date)
            ? date
            : throw new FormatException($"{where}.{name} is not a UTC date 'yyyy-MM-ddTHH:mm:ssZ': '{text}'");
    }

    public static TcbStatus Status(JsonElement parent, string where)
    {
        var text = String(parent, "tcbStatus", where);
        return TcbStatuses.TryParse(text, out var status) ? status : throw new FormatException($"{where}.tcbStatus '{text}' is not an Intel TCB status");
    }

    public static IReadOnlyList<string> AdvisoryIds(JsonElement parent, string where)
    {
        if (!TryProperty(parent, "advisoryIDs", out var ids))
        {
            return [];
        }

        if (ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() > 1024)
        {
            throw new FormatException($"{where}.advisoryIDs is not an array of at most 1024 strings");
        }

        return ids.EnumerateArray()
            .Select(id => id.ValueKind == JsonValueKind.String ? id.GetString()! : throw new FormatException($"{where}.advisoryIDs holds a non-string"))
            .ToList();
    }

    public static JsonElement Array(JsonElement parent, string name, string where, int min, int max)
    {
        var value = Property(parent, name, where);
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() < min || value.GetArrayLength() > max)
        {
            throw new FormatException($"{where}.{name} is not an array of {min} to {max} elements");
        }

        return value;
    }

    public static string Iso(DateTimeOffset date) =>
        date.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static AttestationResult<SignedJson> Fail(string detail) =>
        AttestationResult<SignedJson>.Fail(AttestationFailure.MalformedEvidence, detail);
}
