using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sesemi.Security.Identities;

/// <summary>
/// The identity of an owner or user: the lowercase hex SHA-256 of the DER SubjectPublicKeyInfo of its ECDSA P-256 key.
/// </summary>
public readonly record struct PrincipalId
{
    public const int Length = 64;

    private PrincipalId(string value) => Value = value;

    public string Value { get; }

    public static PrincipalId FromSubjectPublicKeyInfo(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        new(Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo)));

    public static PrincipalId FromPublicKey(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>
    /// The principal a TLS client certificate speaks for: its key must be ECDSA P-256. The certificate chain is not
    /// consulted; TLS has proved possession of the private key, and the key is what is trusted.
    /// </summary>
    public static bool TryFromCertificate(X509Certificate2 certificate, out PrincipalId id)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        id = default;
        using var key = certificate.GetECDsaPublicKey();
        if (key is null || !IsP256(key))
        {
            return false;
        }

        // Hash the key re-exported in its one canonical (named-curve) form, so an explicit-parameters encoding of
        // the same key cannot yield a second id.
        id = FromPublicKey(key);
        return true;
    }

    internal static bool IsP256(ECDsa key) =>
        key.KeySize == 256 && key.ExportParameters(false).Curve is { IsNamed: true } curve && curve.Oid.Value == NistP256Oid;

    private const string NistP256Oid = "1.2.840.10045.3.1.7";

    public static bool TryParse(string? text, out PrincipalId id)
    {
        id = default;
        if (text is not { Length: Length } || !text.All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        id = new PrincipalId(text);
        return true;
    }

    public static PrincipalId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException("A principal id is 64 lowercase hex characters.");

    public override string ToString() => Value ?? string.Empty;
}
