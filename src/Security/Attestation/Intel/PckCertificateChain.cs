using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sesemi.Security.Attestation.Intel;

/// <summary>
/// The PCK certificates of a quote's certification data type 5: PEM certificates in the order leaf, PCK Processor or
/// Platform CA, Intel SGX Root CA (possibly NUL-terminated). Owns the loaded certificates; dispose it.
/// </summary>
public sealed class PckCertificateChain : IDisposable
{
    /// <summary>The most certificates accepted in one chain.</summary>
    public const int MaxCertificates = 8;

    private readonly X509Certificate2[] _certificates;

    private PckCertificateChain(X509Certificate2[] certificates) => _certificates = certificates;

    /// <summary>The PCK leaf (the first certificate).</summary>
    public X509Certificate2 Leaf => _certificates[0];

    /// <summary>All certificates, leaf first, in the order given.</summary>
    public IReadOnlyList<X509Certificate2> Certificates => _certificates;

    /// <summary>
    /// Reads PEM certificates from <paramref name="pem"/>; only whitespace may surround them and only NUL bytes may
    /// follow. Never throws.
    /// </summary>
    public static AttestationResult<PckCertificateChain> Parse(ReadOnlySpan<byte> pem)
    {
        var end = pem.Length;
        while (end > 0 && pem[end - 1] == 0)
        {
            end--;
        }

        pem = pem[..end];
        foreach (var b in pem)
        {
            if (b is not ((>= 0x20 and < 0x7f) or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                return Fail("the PCK certificate chain is not PEM text (it holds a non-ASCII or control byte)");
            }
        }

        var text = Encoding.ASCII.GetString(pem);
        var certificates = new List<X509Certificate2>();
        var position = 0;
        try
        {
            while (PemEncoding.TryFind(text.AsSpan(position), out var fields))
            {
                if (!text.AsSpan(position, fields.Location.Start.Value).IsWhiteSpace())
                {
                    return Fail("the PCK certificate chain has text between its PEM blocks");
                }

                var label = text.AsSpan(position)[fields.Label];
                if (!label.SequenceEqual("CERTIFICATE"))
                {
                    return Fail($"the PCK certificate chain holds a PEM '{label}' block, not a certificate");
                }

                if (certificates.Count == MaxCertificates)
                {
                    return Fail($"the PCK certificate chain holds more than {MaxCertificates} certificates");
                }

                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(text.AsSpan(position)[fields.Base64Data], der, out var written) || written != der.Length)
                {
                    return Fail("a PCK certificate's PEM body is not base64");
                }

                certificates.Add(X509CertificateLoader.LoadCertificate(der));
                position += fields.Location.End.Value;
            }

            if (!text.AsSpan(position).IsWhiteSpace())
            {
                return Fail("the PCK certificate chain has text after its last PEM block");
            }

            if (certificates.Count == 0)
            {
                return Fail("the PCK certification data holds no PEM certificate");
            }

            var chain = new PckCertificateChain([.. certificates]);
            certificates.Clear();
            return AttestationResult<PckCertificateChain>.Ok(chain);
        }
        catch (CryptographicException e)
        {
            return Fail($"a PCK certificate is not a valid X.509 certificate: {e.Message}");
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var certificate in _certificates)
        {
            certificate.Dispose();
        }
    }

    private static AttestationResult<PckCertificateChain> Fail(string detail) =>
        AttestationResult<PckCertificateChain>.Fail(AttestationFailure.MalformedEvidence, detail);
}
