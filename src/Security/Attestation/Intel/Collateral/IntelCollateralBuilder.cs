using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation.Chains;

namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>The kind of a piece of collateral the builder recognised.</summary>
public enum CollateralPieceKind
{
    OpenEnclaveEndorsements = 1,
    TcbInfo,
    QeIdentity,
    Crl,
    Certificates,
}

/// <summary>What <see cref="IntelCollateralBuilder.Add(ReadOnlyMemory{byte})"/> recognised and took.</summary>
/// <param name="Kind">The kind detected.</param>
/// <param name="Description">A short human-readable summary (ids, dates, subjects).</param>
public sealed record CollateralPiece(CollateralPieceKind Kind, string Description);

/// <summary>
/// Collects Intel collateral from pieces given in any combination and order — an Open Enclave endorsements bundle,
/// TCB info JSON, QE identity JSON, CRLs (DER or PEM), certificates (PEM, URL-encoded PEM as in PCS headers, or DER) —
/// detecting each piece's kind. A piece that cannot be read, or a second TCB info / QE identity, is refused as a
/// failure value and leaves the builder unchanged.
/// </summary>
public sealed class IntelCollateralBuilder(IReadOnlySet<string>? rootPins = null)
{
    private readonly IReadOnlySet<string> _rootPins = rootPins ?? TrustAnchors.Intel;
    private readonly List<IntelCrl> _crls = [];
    private readonly List<ReadOnlyMemory<byte>> _certificates = [];
    private TcbInfo? _tcbInfo;
    private EnclaveIdentity? _qeIdentity;

    /// <summary>Detects the kind of <paramref name="bytes"/> and adds it. Leading <c>#</c> comment lines are skipped.</summary>
    public AttestationResult<CollateralPiece> Add(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > OpenEnclaveEndorsements.MaxBytes)
        {
            return Fail(AttestationFailure.MalformedEvidence, $"{bytes.Length} bytes is more than the {OpenEnclaveEndorsements.MaxBytes} accepted");
        }

        bytes = TrimStart(bytes);
        var span = bytes.Span;
        if (span.IsEmpty)
        {
            return Fail(AttestationFailure.NoEvidence, "the collateral piece is empty");
        }

        if (OpenEnclaveEndorsements.LooksLike(span))
        {
            return OpenEnclaveEndorsements.TryParse(bytes, out var endorsements, out var error)
                ? Add(endorsements)
                : Fail(AttestationFailure.MalformedEvidence, error);
        }

        if (span[0] == (byte)'{')
        {
            return CollateralJson.FirstPropertyName(span) switch
            {
                "tcbInfo" => AddTcbInfo(bytes),
                "enclaveIdentity" => AddQeIdentity(bytes),
                var name => Fail(AttestationFailure.UnsupportedFormat, name is null
                    ? "the JSON is not an object"
                    : $"JSON whose first property is '{name}' is neither TCB info ('tcbInfo') nor an enclave identity ('enclaveIdentity')"),
            };
        }

        if (span.IndexOf("-----BEGIN"u8) >= 0)
        {
            var pem = ReadPem(span);
            if (!pem.IsValid)
            {
                return pem.Cast<CollateralPiece>();
            }

            var (certificates, crls) = pem.Value!;
            _certificates.AddRange(certificates);
            AddCrls(crls);
            return Describe(certificates, crls);
        }

        if (span[0] == 0x30)
        {
            var crl = IntelCrl.Parse(bytes);
            if (crl.IsValid)
            {
                AddCrls([crl.Value!]);
                return Ok(CollateralPieceKind.Crl, DescribeCrl(crl.Value!));
            }

            if (LoadCertificate(span) is { } certificate)
            {
                using (certificate)
                {
                    _certificates.Add(certificate.RawData);
                    return Ok(CollateralPieceKind.Certificates, $"certificate '{certificate.Subject}'");
                }
            }

            return Fail(AttestationFailure.MalformedEvidence, $"DER that is neither a CRL nor a certificate ({crl.Detail})");
        }

        return Fail(AttestationFailure.UnsupportedFormat, "not Intel collateral: expected OE endorsements, TCB info or QE identity JSON, a CRL, or certificates");
    }

    /// <summary>Adds every piece of an Open Enclave endorsements bundle (empty elements are left out).</summary>
    public AttestationResult<CollateralPiece> Add(OpenEnclaveEndorsements endorsements)
    {
        ArgumentNullException.ThrowIfNull(endorsements);
        TcbInfo? tcbInfo = null;
        EnclaveIdentity? qeIdentity = null;
        var certificates = new List<ReadOnlyMemory<byte>>();
        var crls = new List<IntelCrl>();
        if (!endorsements.TcbInfo.IsEmpty)
        {
            var parsed = TcbInfo.Parse(endorsements.TcbInfo);
            if (!parsed.IsValid)
            {
                return parsed.Cast<CollateralPiece>();
            }

            tcbInfo = parsed.Value;
        }

        if (!endorsements.QeIdentity.IsEmpty)
        {
            var parsed = EnclaveIdentity.Parse(endorsements.QeIdentity);
            if (!parsed.IsValid)
            {
                return parsed.Cast<CollateralPiece>();
            }

            qeIdentity = parsed.Value;
        }

        foreach (var crl in (ReadOnlyMemory<byte>[])[endorsements.PckCrl, endorsements.RootCaCrl])
        {
            if (!crl.IsEmpty)
            {
                var parsed = IntelCrl.Parse(crl);
                if (!parsed.IsValid)
                {
                    return parsed.Cast<CollateralPiece>();
                }

                crls.Add(parsed.Value!);
            }
        }

        foreach (var chain in (ReadOnlyMemory<byte>[])[endorsements.TcbInfoIssuerChain, endorsements.PckCrlIssuerChain, endorsements.QeIdentityIssuerChain])
        {
            if (!chain.IsEmpty)
            {
                var pem = ReadPem(chain.Span);
                if (!pem.IsValid)
                {
                    return pem.Cast<CollateralPiece>();
                }

                certificates.AddRange(pem.Value!.Certificates);
                crls.AddRange(pem.Value.Crls);
            }
        }

        if (Conflict(tcbInfo, qeIdentity) is { } conflict)
        {
            return conflict;
        }

        _tcbInfo ??= tcbInfo;
        _qeIdentity ??= qeIdentity;
        _certificates.AddRange(certificates);
        AddCrls(crls);
        return Ok(CollateralPieceKind.OpenEnclaveEndorsements, $"Open Enclave endorsements ({(tcbInfo is null ? "no TCB info" : DescribeTcbInfo(tcbInfo))}; "
            + $"{(qeIdentity is null ? "no QE identity" : DescribeIdentity(qeIdentity))}; {crls.Count} CRLs; {certificates.Count} certificates"
            + (endorsements.CreationDateTime is { } created ? $"; created {created}" : string.Empty) + ")");
    }

    /// <summary>The collateral collected so far.</summary>
    public IntelCollateral Build() => new(_tcbInfo, _qeIdentity, _crls, _certificates, _rootPins);

    private static ReadOnlyMemory<byte> TrimStart(ReadOnlyMemory<byte> bytes)
    {
        while (true)
        {
            var before = bytes.Length;
            if (bytes.Span.StartsWith("\uFEFF"u8))
            {
                bytes = bytes[3..];
            }

            var start = 0;
            while (start < bytes.Length && bytes.Span[start] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                start++;
            }

            bytes = OpenEnclaveEndorsements.SkipCommentLines(bytes[start..]);
            if (bytes.Length == before)
            {
                return bytes;
            }
        }
    }

    private static X509Certificate2? LoadCertificate(ReadOnlySpan<byte> der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static AttestationResult<PemContents> ReadPem(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.ASCII.GetString(bytes).TrimEnd('\0');
        if (text.Contains("-----BEGIN%20", StringComparison.Ordinal))
        {
            text = Uri.UnescapeDataString(text); // PCS issuer-chain headers are URL-encoded PEM
        }

        var certificates = new List<ReadOnlyMemory<byte>>();
        var crls = new List<IntelCrl>();
        var remaining = text.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            byte[] der;
            try
            {
                der = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
            }
            catch (FormatException)
            {
                return AttestationResult<PemContents>.Fail(AttestationFailure.MalformedEvidence, $"a PEM '{label}' block is not base64");
            }

            switch (label)
            {
                case "CERTIFICATE":
                    using (var certificate = LoadCertificate(der))
                    {
                        if (certificate is null)
                        {
                            return AttestationResult<PemContents>.Fail(AttestationFailure.MalformedEvidence, "a PEM certificate could not be read");
                        }
                    }

                    certificates.Add(der);
                    break;
                case "X509 CRL":
                    var crl = IntelCrl.Parse(der);
                    if (!crl.IsValid)
                    {
                        return crl.Cast<PemContents>();
                    }

                    crls.Add(crl.Value!);
                    break;
                default:
                    return AttestationResult<PemContents>.Fail(AttestationFailure.UnsupportedFormat, $"a PEM '{label}' block is neither a certificate nor a CRL");
            }

            remaining = remaining[fields.Location.End..];
        }

        return certificates.Count + crls.Count == 0
            ? AttestationResult<PemContents>.Fail(AttestationFailure.MalformedEvidence, "no readable PEM block")
            : AttestationResult<PemContents>.Ok(new PemContents(certificates, crls));
    }

    private AttestationResult<CollateralPiece> AddTcbInfo(ReadOnlyMemory<byte> bytes)
    {
        var parsed = TcbInfo.Parse(bytes);
        if (!parsed.IsValid)
        {
            return parsed.Cast<CollateralPiece>();
        }

        if (Conflict(parsed.Value, null) is { } conflict)
        {
            return conflict;
        }

        _tcbInfo = parsed.Value!;
        return Ok(CollateralPieceKind.TcbInfo, DescribeTcbInfo(_tcbInfo));
    }

    private AttestationResult<CollateralPiece> AddQeIdentity(ReadOnlyMemory<byte> bytes)
    {
        var parsed = EnclaveIdentity.Parse(bytes);
        if (!parsed.IsValid)
        {
            return parsed.Cast<CollateralPiece>();
        }

        if (Conflict(null, parsed.Value) is { } conflict)
        {
            return conflict;
        }

        _qeIdentity = parsed.Value!;
        return Ok(CollateralPieceKind.QeIdentity, DescribeIdentity(_qeIdentity));
    }

    private AttestationResult<CollateralPiece>? Conflict(TcbInfo? tcbInfo, EnclaveIdentity? qeIdentity)
    {
        if (tcbInfo is not null && _tcbInfo is not null)
        {
            return Fail(AttestationFailure.MalformedEvidence, "a TCB info was already given");
        }

        if (qeIdentity is not null && _qeIdentity is not null)
        {
            return Fail(AttestationFailure.MalformedEvidence, "a QE identity was already given");
        }

        return null;
    }

    private void AddCrls(IEnumerable<IntelCrl> crls)
    {
        foreach (var crl in crls)
        {
            if (!_crls.Any(c => c.Der.Span.SequenceEqual(crl.Der.Span)))
            {
                _crls.Add(crl);
            }
        }
    }

    private static AttestationResult<CollateralPiece> Describe(List<ReadOnlyMemory<byte>> certificates, List<IntelCrl> crls)
    {
        var parts = new List<string>();
        if (certificates.Count > 0)
        {
            var subjects = certificates.Select(der =>
            {
                using var certificate = X509CertificateLoader.LoadCertificate(der.Span);
                return $"'{certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)}'";
            });
            parts.Add($"{certificates.Count} certificate(s) {string.Join(", ", subjects)}");
        }

        parts.AddRange(crls.Select(DescribeCrl));
        return Ok(certificates.Count > 0 ? CollateralPieceKind.Certificates : CollateralPieceKind.Crl, string.Join("; ", parts));
    }

    private static string DescribeTcbInfo(TcbInfo info) =>
        $"{info.Id} TCB info v{info.Version} for FMSPC {info.Fmspc}, evaluation data {info.TcbEvaluationDataNumber}, next update {CollateralJson.Iso(info.NextUpdate)}";

    private static string DescribeIdentity(EnclaveIdentity identity) =>
        $"{identity.Id} identity v{identity.Version}, next update {CollateralJson.Iso(identity.NextUpdate)}";

    private static string DescribeCrl(IntelCrl crl) =>
        $"CRL of '{crl.Issuer}' with {crl.Revoked.Count} entries, next update {(crl.NextUpdate is { } next ? CollateralJson.Iso(next) : "none")}";

    private static AttestationResult<CollateralPiece> Ok(CollateralPieceKind kind, string description) =>
        AttestationResult<CollateralPiece>.Ok(new CollateralPiece(kind, description));

    private static AttestationResult<CollateralPiece> Fail(AttestationFailure failure, string detail) =>
        AttestationResult<CollateralPiece>.Fail(failure, detail);

    private sealed record PemContents(List<ReadOnlyMemory<byte>> Certificates, List<IntelCrl> Crls);
}
