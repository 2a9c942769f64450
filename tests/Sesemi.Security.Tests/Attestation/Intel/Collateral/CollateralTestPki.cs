using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Chains;
using Sesemi.Security.Attestation.Intel;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

/// <summary>
/// A throw-away Intel-like PKI for tests: a root pinned by its SPKI hash, an "Intel SGX TCB Signing" certificate, a PCK
/// Processor CA, collateral JSON signed over its raw bytes, and CRLs. Everything is valid around <see cref="Now"/>.
/// </summary>
internal sealed class CollateralTestPki : IDisposable
{
    public static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public const string Fmspc = "00906ed50000";

    public static readonly byte[] PckSerial = Convert.FromHexString("61f1db5c7c821bc96b259c3e0b4248eec9404365");

    public static readonly byte[] QeMrSigner = Enumerable.Repeat((byte)0xab, 32).ToArray();

    private readonly List<IDisposable> _owned = [];

    public CollateralTestPki(string tcbSignerName = "Intel SGX TCB Signing", string pckCaName = "Test SGX PCK Processor CA")
    {
        RootKey = Own(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        Root = Own(CreateRoot("Test SGX Root CA", RootKey));
        TcbSigningKey = Own(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        TcbSigning = Own(Issue($"CN={tcbSignerName}, O=Test", TcbSigningKey, Root, ca: false, serial: 0x51));
        PckCaKey = Own(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        PckCa = Own(Issue($"CN={pckCaName}, O=Test", PckCaKey, Root, ca: true, serial: 0x71));
        Pins = new HashSet<string>(StringComparer.Ordinal) { PinnedChain.PinOf(Root) };
    }

    public ECDsa RootKey { get; }

    public X509Certificate2 Root { get; }

    public ECDsa TcbSigningKey { get; }

    public X509Certificate2 TcbSigning { get; }

    public ECDsa PckCaKey { get; }

    public X509Certificate2 PckCa { get; }

    public IReadOnlySet<string> Pins { get; }

    /// <summary>The TCB signing chain as PEM, the way PCS returns it (signer, then root).</summary>
    public byte[] SigningChainPem => Encoding.ASCII.GetBytes(TcbSigning.ExportCertificatePem() + "\n" + Root.ExportCertificatePem() + "\n");

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string Iso(DateTimeOffset date) => date.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary><c>{"name":value,"signature":"hex"}</c>, the signature over the exact UTF-8 bytes of <paramref name="value"/>.</summary>
    public static byte[] Sign(string name, string value, ECDsa key) =>
        Utf8($"{{\"{name}\":{value},\"signature\":\"{Convert.ToHexStringLower(key.SignData(Utf8(value), HashAlgorithmName.SHA256))}\"}}");

    /// <summary>
    /// A TCB info v3 value with one level per entry of <paramref name="levels"/>: all 16 SGX components = svn, PCESVN
    /// = 10, and for TDX all TDX components = tdx (index 1 = 0).
    /// </summary>
    public static string TcbInfoJson(
        (int Svn, string Status)[] levels,
        string id = "SGX",
        string fmspc = Fmspc,
        DateTimeOffset? issued = null,
        DateTimeOffset? next = null,
        int tdx = 0,
        string extra = "")
    {
        var issueDate = issued ?? Now.AddDays(-1);
        var nextUpdate = next ?? Now.AddDays(29);
        var levelJson = levels.Select(l =>
        {
            var sgx = string.Join(",", Enumerable.Repeat($"{{\"svn\":{l.Svn}}}", 16));
            var tdxPart = id == "TDX"
                ? $",\"tdxtcbcomponents\":[{{\"svn\":{tdx}}},{{\"svn\":0}},{string.Join(",", Enumerable.Repeat($"{{\"svn\":{tdx}}}", 14))}]"
                : string.Empty;
            return $"{{\"tcb\":{{\"sgxtcbcomponents\":[{sgx}],\"pcesvn\":10{tdxPart}}},\"tcbDate\":\"2030-01-01T00:00:00Z\",\"tcbStatus\":\"{l.Status}\",\"advisoryIDs\":[\"INTEL-SA-00001\"]}}";
        });
        return $"{{\"id\":\"{id}\",\"version\":3,\"issueDate\":\"{Iso(issueDate)}\",\"nextUpdate\":\"{Iso(nextUpdate)}\",\"fmspc\":\"{fmspc.ToUpperInvariant()}\","
            + $"\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17{extra},\"tcbLevels\":[{string.Join(",", levelJson)}]}}";
    }

    /// <summary>A QE identity v2 value: MRSIGNER 0xab…, ISVPRODID 1, levels ISVSVN 8 UpToDate and 4 OutOfDate.</summary>
    public static string QeIdentityJson(string id = "QE", DateTimeOffset? issued = null, DateTimeOffset? next = null) =>
        $"{{\"id\":\"{id}\",\"version\":2,\"issueDate\":\"{Iso(issued ?? Now.AddDays(-1))}\",\"nextUpdate\":\"{Iso(next ?? Now.AddDays(29))}\","
        + "\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
        + "\"attributes\":\"11000000000000000000000000000000\",\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
        + $"\"mrsigner\":\"{Convert.ToHexString(QeMrSigner)}\",\"isvprodid\":1,\"tcbLevels\":["
        + "{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2030-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
        + "{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2029-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00002\"]}]}";

    /// <summary>An SGX (or TDX) platform at SVN <paramref name="svn"/> for every component, PCESVN 10, QE ISVSVN 8.</summary>
    public IntelTcbInput Input(int svn = 5, TeeKind kind = TeeKind.SgxDcap, byte[]? teeTcbSvn = null) => new(
        kind,
        Fmspc,
        "0000",
        Enumerable.Repeat((byte)svn, 16).ToArray(),
        10,
        kind == TeeKind.Tdx ? teeTcbSvn ?? Enumerable.Repeat((byte)svn, 16).Select((b, i) => i == 1 ? (byte)0 : b).ToArray() : ReadOnlyMemory<byte>.Empty,
        QeMrSigner,
        1,
        8,
        0,
        Convert.FromHexString("15000000000000000700000000000000"),
        false,
        PckSerial,
        [PckCa.RawData, Root.RawData]);

    /// <summary>A DER CRL of <paramref name="issuer"/> valid around <see cref="Now"/>, revoking <paramref name="revoked"/>.</summary>
    public static byte[] Crl(X509Certificate2 issuer, DateTimeOffset? thisUpdate = null, DateTimeOffset? nextUpdate = null, params byte[][] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var serial in revoked)
        {
            builder.AddEntry(serial, Now.AddDays(-10));
        }

        builder.AddEntry(Convert.FromHexString("0badc0de"), Now.AddDays(-20));
        return builder.Build(issuer, BigInteger.One, nextUpdate ?? Now.AddDays(30), HashAlgorithmName.SHA256, thisUpdate: thisUpdate ?? Now.AddDays(-1));
    }

    /// <summary>Signed TCB info, signed QE identity, PCK CRL, root CRL and the signing chain, all fine at <see cref="Now"/>.</summary>
    public IntelCollateralParts Parts((int Svn, string Status)[]? levels = null) => new(
        Sign("tcbInfo", TcbInfoJson(levels ?? [(5, "UpToDate"), (3, "OutOfDate")]), TcbSigningKey),
        Sign("enclaveIdentity", QeIdentityJson(), TcbSigningKey),
        Crl(PckCa),
        Crl(Root),
        SigningChainPem);

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private static X509Certificate2 CreateRoot(string name, ECDsa key)
    {
        var request = new CertificateRequest($"CN={name}, O=Test", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(10));
    }

    private static X509Certificate2 Issue(string subject, ECDsa key, X509Certificate2 issuer, bool ca, byte serial)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, ca, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.Create(issuer, Now.AddYears(-1), Now.AddYears(5), [serial, 0x01, 0x02]);
        return certificate.CopyWithPrivateKey(key);
    }
}

/// <summary>The raw collateral pieces <see cref="CollateralTestPki.Parts"/> makes.</summary>
internal sealed record IntelCollateralParts(byte[] TcbInfo, byte[] QeIdentity, byte[] PckCrl, byte[] RootCrl, byte[] SigningChainPem);
