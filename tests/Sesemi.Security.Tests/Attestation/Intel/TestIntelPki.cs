using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation.Chains;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel;

/// <summary>The platform TCB a test PCK certificate states in its SGX extensions.</summary>
public sealed record TestPckTcb(byte[] Components, ushort PceSvn, byte[] CpuSvn, byte[] PceId, byte[] Fmspc, int SgxType = 0)
{
    /// <summary>The values of the OE test vector's PCK certificate.</summary>
    public static TestPckTcb Default { get; } = new(
        [17, 17, 2, 4, 1, 128, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        11,
        Convert.FromHexString("11110204018006000000000000000000"),
        [0x00, 0x00],
        Convert.FromHexString("00906ed50000"));
}

/// <summary>
/// A test stand-in for Intel's PCK PKI: a root CA (pinned by its SPKI hash), an "Intel SGX PCK Processor CA" (or
/// Platform CA) and a PCK leaf carrying SGX extensions, all ECDSA P-256 with fixed validity windows so tests pin
/// time. Keys are fresh per instance; outcomes do not depend on them.
/// </summary>
public sealed class TestIntelPki : IDisposable
{
    /// <summary>The start of every certificate's validity.</summary>
    public static readonly DateTimeOffset NotBefore = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The end of the leaf's validity (the CAs outlive it).</summary>
    public static readonly DateTimeOffset LeafNotAfter = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A time at which every certificate is valid.</summary>
    public static readonly DateTimeOffset ValidAt = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The leaf's serial number.</summary>
    public static readonly byte[] LeafSerial = Convert.FromHexString("61f1db5c7c821bc96b259c3e0b4248eec9404365");

    private static readonly DateTimeOffset CaNotAfter = new(2049, 12, 31, 0, 0, 0, TimeSpan.Zero);

    private TestIntelPki(ECDsa rootKey, ECDsa caKey, ECDsa leafKey, X509Certificate2 root, X509Certificate2 ca, X509Certificate2 leaf, TestPckTcb tcb)
    {
        RootKey = rootKey;
        CaKey = caKey;
        LeafKey = leafKey;
        Root = root;
        Ca = ca;
        Leaf = leaf;
        Tcb = tcb;
    }

    public ECDsa RootKey { get; }

    public ECDsa CaKey { get; }

    /// <summary>The PCK key: signs QE reports.</summary>
    public ECDsa LeafKey { get; }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Leaf { get; }

    public TestPckTcb Tcb { get; }

    /// <summary>The root's pin (SPKI SHA-256).</summary>
    public string RootPin => PinnedChain.PinOf(Root);

    /// <summary>A pin set holding only this root.</summary>
    public IReadOnlySet<string> Pins => new HashSet<string>(StringComparer.Ordinal) { RootPin };

    /// <summary>Leaf, CA and root as PEM, NUL-terminated like the quoting library writes it.</summary>
    public string ChainPem => ToPem(Leaf, Ca, Root) + "\0";

    /// <summary>
    /// Creates a PKI; <paramref name="sgxExtensions"/> replaces the DER of the leaf's SGX extensions and
    /// <paramref name="caCommonName"/> the PCK CA's common name.
    /// </summary>
    public static TestIntelPki Create(TestPckTcb? tcb = null, bool platformCa = false, byte[]? sgxExtensions = null, string? caCommonName = null)
    {
        tcb ??= TestPckTcb.Default;
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var rootName = new X500DistinguishedName("CN=Test SGX Root CA, O=Sesemi Tests, C=US");
        var rootRequest = new CertificateRequest(rootName, rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var rootWithKey = rootRequest.CreateSelfSigned(NotBefore, CaNotAfter);
        var root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);

        var caName = new X500DistinguishedName($"CN={caCommonName ?? $"Intel SGX PCK {(platformCa ? "Platform" : "Processor")} CA"}, O=Sesemi Tests, C=US");
        var caRequest = new CertificateRequest(caName, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        caRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var ca = caRequest.Create(rootName, X509SignatureGenerator.CreateForECDsa(rootKey), NotBefore, CaNotAfter, [0x02]);

        var leafRequest = new CertificateRequest(new X500DistinguishedName("CN=Intel SGX PCK Certificate, O=Sesemi Tests, C=US"), leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        leafRequest.CertificateExtensions.Add(new X509Extension(PckExtensions.ExtensionOid, sgxExtensions ?? EncodeSgxExtensions(tcb, platformCa), false));
        var leaf = leafRequest.Create(caName, X509SignatureGenerator.CreateForECDsa(caKey), NotBefore, LeafNotAfter, LeafSerial);

        return new TestIntelPki(rootKey, caKey, leafKey, root, ca, leaf, tcb);
    }

    /// <summary>
    /// Encodes SGX extensions as Intel's PCK certificates carry them: PPID, TCB (16 component SVNs, PCESVN, CPUSVN),
    /// PCE-ID, FMSPC, SGX type, and for Platform CA certificates a platform instance ID.
    /// </summary>
    public static byte[] EncodeSgxExtensions(TestPckTcb tcb, bool platformInstance = false)
    {
        ArgumentNullException.ThrowIfNull(tcb);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteOctets(writer, PckExtensions.ExtensionOid + ".1", new byte[16]);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(PckExtensions.ExtensionOid + ".2");
                using (writer.PushSequence())
                {
                    for (var i = 0; i < 16; i++)
                    {
                        WriteInteger(writer, $"{PckExtensions.ExtensionOid}.2.{i + 1}", tcb.Components[i]);
                    }

                    WriteInteger(writer, PckExtensions.ExtensionOid + ".2.17", tcb.PceSvn);
                    WriteOctets(writer, PckExtensions.ExtensionOid + ".2.18", tcb.CpuSvn);
                }
            }

            WriteOctets(writer, PckExtensions.ExtensionOid + ".3", tcb.PceId);
            WriteOctets(writer, PckExtensions.ExtensionOid + ".4", tcb.Fmspc);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(PckExtensions.ExtensionOid + ".5");
                writer.WriteEnumeratedValue((SgxTypeValue)tcb.SgxType);
            }

            if (platformInstance)
            {
                WriteOctets(writer, PckExtensions.ExtensionOid + ".6", Enumerable.Range(1, 16).Select(i => (byte)i).ToArray());
            }
        }

        return writer.Encode();
    }

    /// <summary>PEM of the certificates, in order.</summary>
    public static string ToPem(params X509Certificate2[] certificates) =>
        string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n"));

    public void Dispose()
    {
        RootKey.Dispose();
        CaKey.Dispose();
        LeafKey.Dispose();
        Root.Dispose();
        Ca.Dispose();
        Leaf.Dispose();
    }

    private static void WriteOctets(AsnWriter writer, string oid, byte[] value)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            writer.WriteOctetString(value);
        }
    }

    private static void WriteInteger(AsnWriter writer, string oid, int value)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            writer.WriteInteger(value);
        }
    }

    private enum SgxTypeValue
    {
        Standard = 0,
        Scalable = 1,
        ScalableWithIntegrity = 2,
    }
}
