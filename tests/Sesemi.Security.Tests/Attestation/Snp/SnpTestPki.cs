using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation.Chains;
using Sesemi.Security.Attestation.Snp;

namespace Sesemi.Security.Tests.Attestation.Snp;

/// <summary>
/// A test AMD hierarchy: ARK (self-signed) → ASK and ASVK (RSA-2048, RSASSA-PSS SHA-384 like AMD's RSA-4096) → VCEKs
/// and VLEKs (ECDSA P-384) with the AMD extensions, so every verifier path runs without AMD's files.
/// </summary>
internal sealed class SnpTestPki : IDisposable
{
    public static readonly DateTimeOffset RootNotBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset RootNotAfter = new(2045, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset KeyNotBefore = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset KeyNotAfter = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A time inside every validity window.</summary>
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<SnpTestPki>> ByProduct = new(StringComparer.Ordinal);
    private static readonly Lazy<SnpTestPki> LazyOther = new(() => new SnpTestPki("Milan"));
    private static int _serial;

    private readonly RSA _arkKey;
    private readonly RSA _askKey;
    private readonly RSA _asvkKey;

    private SnpTestPki(string product)
    {
        Product = product;
        _arkKey = RSA.Create(2048);
        _askKey = RSA.Create(2048);
        _asvkKey = RSA.Create(2048);
        var request = new CertificateRequest(Name($"ARK-{product}"), _arkKey, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        AddCaExtensions(request);
        Ark = request.CreateSelfSigned(RootNotBefore, RootNotAfter);
        Ask = IssueCa($"SEV-{product}", _askKey);
        Asvk = IssueCa($"SEV-VLEK-{product}", _asvkKey);
    }

    /// <summary>A Milan-named test hierarchy, shared (it is immutable).</summary>
    public static SnpTestPki Milan => ForProduct("Milan");

    /// <summary>A shared hierarchy named for <paramref name="product"/> (ARK-Genoa, SEV-Genoa…).</summary>
    public static SnpTestPki ForProduct(string product) => ByProduct.GetOrAdd(product, p => new Lazy<SnpTestPki>(() => new SnpTestPki(p))).Value;

    /// <summary>A second, unrelated hierarchy with the same names.</summary>
    public static SnpTestPki Other => LazyOther.Value;

    public string Product { get; }

    public X509Certificate2 Ark { get; }

    public X509Certificate2 Ask { get; }

    public X509Certificate2 Asvk { get; }

    public string ArkPin => PinnedChain.PinOf(Ark);

    public IReadOnlySet<string> Pins => new HashSet<string>(StringComparer.Ordinal) { ArkPin };

    /// <summary>Issues a VCEK (or a VLEK, signed by the ASVK) for <paramref name="tcb"/>; hwID null leaves it out.</summary>
    public IssuedKey IssueKey(
        SnpTcbVersion tcb,
        byte[]? hardwareId,
        string productName = "Milan-B0",
        bool vlek = false,
        bool wrapHardwareId = false,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        bool includeFmc = true)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest(Name(vlek ? "SEV-VLEK" : "SEV-VCEK"), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(Extension(SnpKeyCertificate.StructVersionOid, Integer(0)));
        request.CertificateExtensions.Add(Extension(SnpKeyCertificate.ProductNameOid, Ia5(productName)));
        request.CertificateExtensions.Add(Extension(SnpKeyCertificate.BootloaderSplOid, Integer(tcb.Bootloader)));
        request.CertificateExtensions.Add(Extension(SnpKeyCertificate.TeeSplOid, Integer(tcb.Tee)));
        for (var reserved = 4; reserved <= 7; reserved++)
        {
            request.CertificateExtensions.Add(Extension($"{SnpKeyCertificate.AmdArc}.3.{reserved}", Integer(0)));
        }

        request.CertificateExtensions.Add(Extension(SnpKeyCertificate.SnpSplOid, Integer(tcb.Snp)));
        request.CertificateExtensions.Add(Extension(SnpKeyCertificate.MicrocodeSplOid, Integer(tcb.Microcode)));
        if (tcb.Fmc is { } fmc && includeFmc)
        {
            request.CertificateExtensions.Add(Extension(SnpKeyCertificate.FmcSplOid, Integer(fmc)));
        }

        if (hardwareId is not null)
        {
            request.CertificateExtensions.Add(Extension(SnpKeyCertificate.HardwareIdOid, wrapHardwareId ? OctetString(hardwareId) : hardwareId));
        }

        if (vlek)
        {
            request.CertificateExtensions.Add(Extension(SnpKeyCertificate.CspIdOid, Ia5("test-csp")));
        }

        var issuer = vlek ? Asvk : Ask;
        var generator = X509SignatureGenerator.CreateForRSA(vlek ? _asvkKey : _askKey, RSASignaturePadding.Pss);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var certificate = request.Create(issuer.SubjectName, generator, notBefore ?? KeyNotBefore, notAfter ?? KeyNotAfter, NextSerial());
        return new IssuedKey(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
    }

    /// <summary>The endorsements for a key issued here: key, ASK (or ASVK), ARK, as DER.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Chain(IssuedKey key, bool vlek = false) =>
        [key.Certificate.RawData, (vlek ? Asvk : Ask).RawData, Ark.RawData];

    public void Dispose()
    {
        Ark.Dispose();
        Ask.Dispose();
        Asvk.Dispose();
        _arkKey.Dispose();
        _askKey.Dispose();
        _asvkKey.Dispose();
    }

    private X509Certificate2 IssueCa(string commonName, RSA key)
    {
        var request = new CertificateRequest(Name(commonName), key, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        AddCaExtensions(request);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ark, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(Ark, RootNotBefore, RootNotAfter, NextSerial());
        return X509CertificateLoader.LoadCertificate(issued.RawData);
    }

    private static void AddCaExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    private static X500DistinguishedName Name(string commonName) =>
        new($"CN={commonName}, O=Advanced Micro Devices, ST=CA, L=Santa Clara, C=US, OU=Engineering");

    private static X509Extension Extension(string oid, byte[] value) => new(oid, value, critical: false);

    private static byte[] Integer(int value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteInteger(value);
        return writer.Encode();
    }

    private static byte[] Ia5(string value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.IA5String, value);
        return writer.Encode();
    }

    private static byte[] OctetString(byte[] value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(value);
        return writer.Encode();
    }

    private static byte[] NextSerial()
    {
        var serial = new byte[8];
        serial[0] = 0x01;
        BinaryPrimitives.WriteInt32BigEndian(serial.AsSpan(4), Interlocked.Increment(ref _serial));
        return serial;
    }
}

/// <summary>A VCEK or VLEK certificate and its private key.</summary>
internal sealed record IssuedKey(X509Certificate2 Certificate, ECDsa Key) : IDisposable
{
    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

/// <summary>Builds SEV-SNP reports field by field and signs them like the firmware.</summary>
internal sealed record SnpReportBuilder
{
    public uint Version { get; init; } = 2;

    public uint GuestSvn { get; init; } = 7;

    public ulong Policy { get; init; } = 0x30000;

    public uint Vmpl { get; init; }

    public uint SignatureAlgorithm { get; init; } = 1;

    public SnpTcbVersion Tcb { get; init; } = SnpTcbVersion.From(SnpTcbLayout.Legacy, 3, 0, 8, 115);

    public uint SignerInfo { get; init; }

    public byte[] ReportData { get; init; } = Filled(64, 0x11);

    public byte[] Measurement { get; init; } = Filled(48, 0x22);

    public byte[] HostData { get; init; } = Filled(32, 0x33);

    public byte[] IdKeyDigest { get; init; } = Filled(48, 0x44);

    public byte[] ChipId { get; init; } = Filled(64, 0x55);

    public (byte Family, byte Model, byte Stepping)? Cpuid { get; init; }

    public (ulong Launch, ulong Current)? MitigationVectors { get; init; }

    public static byte[] Filled(int length, byte start)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(start + i);
        }

        return bytes;
    }

    /// <summary>The report, signed with <paramref name="key"/> when given (else the signature area stays zero).</summary>
    public byte[] Build(ECDsa? key)
    {
        var report = new byte[SnpReport.Size];
        var span = report.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x004..], GuestSvn);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x008..], Policy);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x030..], Vmpl);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x034..], SignatureAlgorithm);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x038..], Tcb.Raw);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x048..], SignerInfo);
        ReportData.CopyTo(span[0x050..]);
        Measurement.CopyTo(span[0x090..]);
        HostData.CopyTo(span[0x0C0..]);
        IdKeyDigest.CopyTo(span[0x0E0..]);
        span.Slice(0x160, 32).Fill(0xFF);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x180..], Tcb.Raw);
        if (Cpuid is { } cpuid)
        {
            span[0x188] = cpuid.Family;
            span[0x189] = cpuid.Model;
            span[0x18A] = cpuid.Stepping;
        }

        ChipId.CopyTo(span[0x1A0..]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x1E0..], Tcb.Raw);
        span[0x1E8] = 40;
        span[0x1E9] = 55;
        span[0x1EA] = 1;
        span[0x1EC] = 40;
        span[0x1ED] = 55;
        span[0x1EE] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x1F0..], Tcb.Raw);
        if (MitigationVectors is { } vectors)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[0x1F8..], vectors.Launch);
            BinaryPrimitives.WriteUInt64LittleEndian(span[0x200..], vectors.Current);
        }

        if (key is not null)
        {
            var signature = key.SignData(report.AsSpan(0, SnpReport.SignedLength), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            var r = span.Slice(0x2A0, 48);
            var s = span.Slice(0x2E8, 48);
            signature.AsSpan(0, 48).CopyTo(r);
            signature.AsSpan(48).CopyTo(s);
            r.Reverse();
            s.Reverse();
        }

        return report;
    }
}
