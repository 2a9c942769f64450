using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Security.Envelopes;

/// <summary>
/// The context an envelope is bound to, authenticated as associated data: a purpose plus named fields
/// (model id, user id, request id, direction…). Opening under any other context fails.
/// Context values are not secret: they travel beside the ciphertext in routing metadata.
/// </summary>
public sealed class EnvelopeContext
{
    public const int DigestSize = 8;
    private const int MaxNameLength = 64;
    private const int MaxValueLength = 1024;

    private readonly ImmutableSortedDictionary<string, string> _fields;
    private byte[]? _encoded;

    private EnvelopeContext(string purpose, ImmutableSortedDictionary<string, string> fields)
    {
        Purpose = purpose;
        _fields = fields;
    }

    public string Purpose { get; }

    public IReadOnlyDictionary<string, string> Fields => _fields;

    /// <summary>Starts a context for <paramref name="purpose"/>, for example <see cref="EnvelopePurposes.Request"/>.</summary>
    public static EnvelopeContext For(string purpose)
    {
        ValidateName(purpose, nameof(purpose));
        return new EnvelopeContext(purpose, ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal));
    }

    /// <summary>Returns a copy with one more field; a name may appear once.</summary>
    public EnvelopeContext With(string name, string value)
    {
        ValidateName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MaxValueLength)
        {
            throw new ArgumentException($"Context values are at most {MaxValueLength} characters.", nameof(value));
        }

        if (_fields.ContainsKey(name))
        {
            throw new ArgumentException($"The context already has a field '{name}'.", nameof(name));
        }

        return new EnvelopeContext(Purpose, _fields.Add(name, value));
    }

    /// <summary>
    /// The canonical encoding: "sesemi/v1/context", the purpose, then the fields sorted by ordinal name,
    /// each string as a 4-byte big-endian length and its UTF-8 bytes.
    /// </summary>
    public ReadOnlySpan<byte> Encoded => _encoded ??= Encode();

    /// <summary>The first <see cref="DigestSize"/> bytes of SHA-256 over <see cref="Encoded"/>, stored in envelope headers.</summary>
    internal void WriteDigest(Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoded, hash);
        hash[..DigestSize].CopyTo(destination);
    }

    private byte[] Encode()
    {
        using var buffer = new MemoryStream();
        Write(buffer, "sesemi/v1/context");
        Write(buffer, Purpose);
        foreach (var (name, value) in _fields)
        {
            Write(buffer, name);
            Write(buffer, value);
        }

        return buffer.ToArray();
    }

    private static void Write(MemoryStream buffer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }

    private static void ValidateName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        if (name.Length > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException("Context names are 1-64 characters of [A-Za-z0-9._-].", parameter);
        }
    }

    public override string ToString() =>
        Purpose + "{" + string.Join(",", _fields.Select(f => f.Key + "=" + f.Value)) + "}";
}

/// <summary>Well-known envelope purposes and field names.</summary>
public static class EnvelopePurposes
{
    public const string Model = "model";
    public const string Request = "request";
    public const string Response = "response";
    public const string KeyRelease = "key-release";
    public const string Storage = "storage";

    public const string ModelIdField = "model";
    public const string UserIdField = "user";
    public const string RequestIdField = "request";
}
