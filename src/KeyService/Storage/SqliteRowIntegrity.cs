using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// The MACs that bind every access-control row (principals, models, grants, model keys, request keys) to the
/// KeyService: HMAC-SHA256 under a row key derived from the audit key, over a label, the table's name and every other
/// column of the row in table order. Each value is encoded with a type tag and, for text and blobs, its length, so a
/// null differs from an empty value and no two rows share an encoding. Someone who can write the file but has not the
/// key can delete rows, but cannot insert, change, move or copy one without failing its MAC; bringing back an old,
/// once valid row (a revoked grant, a key version before its retirement) is caught against the audit log instead.
/// </summary>
internal sealed class SqliteRowIntegrity : IDisposable
{
    public const string Principals = "principals";
    public const string Models = "models";
    public const string Grants = "grants";
    public const string ModelKeys = "model_keys";
    public const string RequestKeys = "request_keys";

    private const byte NullTag = 0;
    private const byte IntegerTag = 1;
    private const byte TextTag = 2;
    private const byte BlobTag = 3;

    private static readonly byte[] Label = "sesemi/v1/store-row"u8.ToArray();

    private readonly SymmetricKey _rowKey;

    /// <summary>Keys the row MACs with a key derived from <paramref name="auditKey"/> (which the caller keeps).</summary>
    public SqliteRowIntegrity(SymmetricKey auditKey)
    {
        ArgumentNullException.ThrowIfNull(auditKey);
        _rowKey = auditKey.Derive("store-rows", ReadOnlySpan<byte>.Empty);
    }

    public byte[] Principal(string id, string? displayName, long registeredAt) =>
        Compute(Principals, id, displayName, registeredAt);

    public byte[] Model(string id, string owner, string name, long createdAt) =>
        Compute(Models, id, owner, name, createdAt);

    public byte[] Grant(string model, string user, string measurement, long grantedAt, long grantSequence) =>
        Compute(Grants, model, user, measurement, grantedAt, grantSequence);

    /// <summary>A model key's row: (model_id, version, key_id, sealed, created_at, retired_at).</summary>
    public byte[] ModelKey(string model, long version, string keyId, byte[] sealedKey, long createdAt, long? retiredAt) =>
        Compute(ModelKeys, model, version, keyId, sealedKey, createdAt, retiredAt);

    /// <summary>A request key's row: (user_id, model_id, measurement, version, key_id, sealed, created_at, retired_at).</summary>
    public byte[] RequestKey(string user, string model, string measurement, long version, string keyId, byte[] sealedKey, long createdAt, long? retiredAt) =>
        Compute(RequestKeys, user, model, measurement, version, keyId, sealedKey, createdAt, retiredAt);

    /// <summary>
    /// Throws <see cref="StoreIntegrityException"/> unless <paramref name="stored"/> is <paramref name="expected"/>.
    /// <paramref name="row"/> names the row by its ids only.
    /// </summary>
    public static void Verify(byte[] expected, byte[]? stored, string table, string row)
    {
        if (stored is not { Length: HMACSHA256.HashSizeInBytes } || !CryptographicOperations.FixedTimeEquals(expected, stored))
        {
            throw new StoreIntegrityException(
                $"The {table} row {row} does not verify under the store's row key: it was inserted, changed or copied outside the KeyService.");
        }
    }

    public void Dispose() => _rowKey.Dispose();

    private byte[] Compute(string table, params ReadOnlySpan<object?> columns)
    {
        Span<byte> key = stackalloc byte[SymmetricKey.SizeInBytes];
        try
        {
            _rowKey.ExportTo(key);
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hmac.AppendData(Label);
            AppendText(hmac, table);
            AppendInt32(hmac, columns.Length);
            foreach (var column in columns)
            {
                switch (column)
                {
                    case null:
                        hmac.AppendData([NullTag]);
                        break;
                    case long integer:
                        AppendInteger(hmac, integer);
                        break;
                    case int integer:
                        AppendInteger(hmac, integer);
                        break;
                    case string text:
                        AppendText(hmac, text);
                        break;
                    case byte[] blob:
                        hmac.AppendData([BlobTag]);
                        AppendInt32(hmac, blob.Length);
                        hmac.AppendData(blob);
                        break;
                    default:
                        throw new ArgumentException(
                            string.Create(CultureInfo.InvariantCulture, $"A row column of type {column.GetType().Name} has no canonical encoding."),
                            nameof(columns));
                }
            }

            return hmac.GetHashAndReset();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static void AppendInteger(IncrementalHash hmac, long value)
    {
        Span<byte> bytes = stackalloc byte[1 + sizeof(long)];
        bytes[0] = IntegerTag;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], value);
        hmac.AppendData(bytes);
    }

    private static void AppendText(IncrementalHash hmac, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        hmac.AppendData([TextTag]);
        AppendInt32(hmac, bytes.Length);
        hmac.AppendData(bytes);
    }

    private static void AppendInt32(IncrementalHash hmac, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        hmac.AppendData(bytes);
    }
}
