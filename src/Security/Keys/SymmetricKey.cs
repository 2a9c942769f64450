using System.Security.Cryptography;
using System.Text;

namespace Sesemi.Security.Keys;

/// <summary>
/// A 256-bit AES key held in pinned memory and zeroed on <see cref="Dispose"/>.
/// </summary>
public sealed class SymmetricKey : IDisposable
{
    public const int SizeInBytes = 32;

    private static readonly byte[] KeyIdLabel = "sesemi/v1/key-id"u8.ToArray();

    private readonly byte[] _material;
    private int _disposed;

    private SymmetricKey(byte[] pinnedMaterial)
    {
        _material = pinnedMaterial;
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_material, KeyIdLabel, mac);
        Id = KeyId.Read(mac);
    }

    /// <summary>The identifier of this key, safe to store and log.</summary>
    public KeyId Id { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Creates a fresh random key.</summary>
    public static SymmetricKey Generate()
    {
        var material = GC.AllocateArray<byte>(SizeInBytes, pinned: true);
        RandomNumberGenerator.Fill(material);
        return new SymmetricKey(material);
    }

    /// <summary>Copies <paramref name="material"/> into a new key; the caller keeps ownership of (and should zero) its buffer.</summary>
    public static SymmetricKey Import(ReadOnlySpan<byte> material)
    {
        if (material.Length != SizeInBytes)
        {
            throw new ArgumentException($"A key must be exactly {SizeInBytes} bytes.", nameof(material));
        }

        var copy = GC.AllocateArray<byte>(SizeInBytes, pinned: true);
        material.CopyTo(copy);
        return new SymmetricKey(copy);
    }

    /// <summary>
    /// Derives an independent key with HKDF-SHA256 from this key, a salt and a purpose label.
    /// </summary>
    public SymmetricKey Derive(string purpose, ReadOnlySpan<byte> salt)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var info = Encoding.UTF8.GetBytes("sesemi/v1/derive/" + purpose);
        var derived = GC.AllocateArray<byte>(SizeInBytes, pinned: true);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Material, derived, salt, info);
        return new SymmetricKey(derived);
    }

    /// <summary>Copies the key material out, for wrapping it to an attested peer. Zero the destination after use.</summary>
    public void ExportTo(Span<byte> destination)
    {
        if (destination.Length < SizeInBytes)
        {
            throw new ArgumentException("Destination too small.", nameof(destination));
        }

        Material.CopyTo(destination);
    }

    internal ReadOnlySpan<byte> Material
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _material;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CryptographicOperations.ZeroMemory(_material);
        }
    }

    public override string ToString() => $"SymmetricKey({Id})";
}
