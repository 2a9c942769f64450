using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Security.KeyRelease;

/// <summary>
/// Seals a key release to the attested key of the runtime's TLS session, so only the enclave that generated that key
/// can open it, even if something between the KeyService and the enclave terminates TLS. ECDH P-256 between a fresh
/// ephemeral key and the recipient's certificate key, HKDF-SHA256 over the shared secret (salt: SHA-256 of both public
/// keys), then a message <see cref="Envelope"/> bound to the caller's context.
/// Layout: ephemeral SPKI length u16 BE ‖ ephemeral SPKI ‖ envelope.
/// </summary>
public static class KeyReleaseSeal
{
    private const int MaxSpkiLength = 256;
    private static ReadOnlySpan<byte> Info => "sesemi/v1/key-release"u8;

    /// <summary>Seals <paramref name="payload"/> to the P-256 key in <paramref name="recipientSubjectPublicKeyInfo"/>.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> recipientSubjectPublicKeyInfo, ReadOnlySpan<byte> payload, EnvelopeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(recipientSubjectPublicKeyInfo, out _);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ephemeralSpki = ephemeral.ExportSubjectPublicKeyInfo();
        using var key = DeriveKey(ephemeral, recipient.PublicKey, ephemeralSpki, recipient.ExportSubjectPublicKeyInfo());
        var envelope = Envelope.Seal(key, payload, context);

        var sealedRelease = new byte[2 + ephemeralSpki.Length + envelope.Length];
        BinaryPrimitives.WriteUInt16BigEndian(sealedRelease, (ushort)ephemeralSpki.Length);
        ephemeralSpki.CopyTo(sealedRelease.AsSpan(2));
        envelope.CopyTo(sealedRelease.AsSpan(2 + ephemeralSpki.Length));
        return sealedRelease;
    }

    /// <summary>The ECDH form of the private key of an attested TLS certificate, to open releases sealed to it.</summary>
    public static ECDiffieHellman RecipientKeyOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var signing = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("The certificate has no ECDSA private key.", nameof(certificate));
        var parameters = signing.ExportParameters(includePrivateParameters: true);
        try
        {
            return ECDiffieHellman.Create(parameters);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    /// <summary>Opens a sealed release with the recipient's private key; failures are values, never exceptions.</summary>
    public static EnvelopeError TryOpen(ECDiffieHellman recipient, ReadOnlySpan<byte> sealedRelease, EnvelopeContext context, out byte[]? payload)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(context);
        payload = null;
        if (sealedRelease.Length < 2)
        {
            return EnvelopeError.Truncated;
        }

        var spkiLength = BinaryPrimitives.ReadUInt16BigEndian(sealedRelease);
        if (spkiLength is 0 or > MaxSpkiLength)
        {
            return EnvelopeError.Malformed;
        }

        if (sealedRelease.Length < 2 + spkiLength)
        {
            return EnvelopeError.Truncated;
        }

        var ephemeralSpki = sealedRelease.Slice(2, spkiLength);
        using var ephemeral = ECDiffieHellman.Create();
        try
        {
            ephemeral.ImportSubjectPublicKeyInfo(ephemeralSpki, out var read);
            if (read != spkiLength || ephemeral.KeySize != 256)
            {
                return EnvelopeError.Malformed;
            }

            using var key = DeriveKey(recipient, ephemeral.PublicKey, ephemeralSpki, recipient.ExportSubjectPublicKeyInfo());
            return Envelope.TryOpen(key, sealedRelease[(2 + spkiLength)..], context, out payload);
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            // An unknown or unsupported curve in the ephemeral key is malformed input, not a fault.
            return EnvelopeError.Malformed;
        }
    }

    private static SymmetricKey DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey peer, ReadOnlySpan<byte> ephemeralSpki, ReadOnlySpan<byte> recipientSpki)
    {
        var secret = own.DeriveRawSecretAgreement(peer);
        Span<byte> material = stackalloc byte[SymmetricKey.SizeInBytes];
        try
        {
            using var transcript = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            transcript.AppendData(ephemeralSpki);
            transcript.AppendData(recipientSpki);
            Span<byte> salt = stackalloc byte[32];
            transcript.GetHashAndReset(salt);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, material, salt, Info);
            return SymmetricKey.Import(material);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
            CryptographicOperations.ZeroMemory(material);
        }
    }
}
