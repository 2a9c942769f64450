using System.Reflection;
using System.Text.RegularExpressions;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.Security.Attestation;

namespace Sesemi.KeyService.Tests.Apis;

public sealed class ApiErrorsTests
{
    /// <summary>docs/protocols.md §6.3, written out: every KeyService error code and its HTTP status.</summary>
    private static readonly Dictionary<string, int> Documented = new(StringComparer.Ordinal)
    {
        ["request.too_large"] = 413,
        ["request.unsupported_media_type"] = 415,
        ["request.malformed_json"] = 400,
        ["request.invalid_principal_id"] = 400,
        ["request.invalid_model_id"] = 400,
        ["request.invalid_model_name"] = 400,
        ["request.invalid_measurement"] = 400,
        ["request.invalid_key"] = 400,
        ["request.invalid_version"] = 400,
        ["request.invalid_lease_id"] = 400,
        ["request.invalid_display_name"] = 400,
        ["request.invalid_query"] = 400,
        ["request.unknown_route"] = 404,
        ["request.method_not_allowed"] = 405,
        ["auth.certificate_required"] = 401,
        ["auth.principal_required"] = 403,
        ["auth.runtime_required"] = 403,
        ["principal.not_registered"] = 403,
        ["principal.unknown_user"] = 404,
        ["model.not_owner"] = 403,
        ["model.not_found"] = 404,
        ["key.version_conflict"] = 409,
        ["key.reused"] = 409,
        ["key.not_found"] = 404,
        ["key.retire_latest"] = 409,
        ["grant.not_found"] = 404,
        ["release.not_granted"] = 403,
        ["release.no_request_key"] = 403,
        ["release.no_model_key"] = 409,
        ["lease.not_found"] = 404,
        ["lease.expired"] = 410,
        ["lease.not_holder"] = 403,
        ["lease.keys_changed"] = 409,
        ["auth.unsupported_key"] = 403,
        ["service.unavailable"] = 503,
        ["service.internal"] = 500,
        ["service.integrity"] = 500,
    };

    public static TheoryData<string, int> DocumentedStatuses => [.. Documented.Select(p => (p.Key, p.Value))];

    public static TheoryData<string> AttestationCodes =>
    [
        .. Enum.GetValues<AttestationFailure>().Where(f => f != AttestationFailure.None).Select(f => f.Code()),
        "attestation.unknown",
        "attestation.anything_new",
    ];

    private static List<string> ErrorConstants() =>
        typeof(KeyServiceErrors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true, IsInitOnly: false } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

    [Theory]
    [MemberData(nameof(DocumentedStatuses))]
    public void StatusOf_EachCode_IsTheDocumentedStatus(string code, int status)
    {
        Assert.Equal(status, ApiErrors.StatusOf(code));
    }

    [Theory]
    [MemberData(nameof(AttestationCodes))]
    public void StatusOf_AttestationCodes_AreForbidden(string code)
    {
        Assert.Equal(403, ApiErrors.StatusOf(code));
    }

    [Fact]
    public void KeyServiceErrors_EveryConstant_HasADocumentedStatusInThisTable()
    {
        var constants = ErrorConstants();

        Assert.NotEmpty(constants);
        Assert.Equal(constants.Count, constants.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(constants.Order(StringComparer.Ordinal), Documented.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KeyServiceErrors_EveryConstant_AppearsInProtocolsDoc()
    {
        var doc = File.ReadAllText(ProtocolsDoc());

        var missing = ErrorConstants().Where(c => !doc.Contains("`" + c + "`", StringComparison.Ordinal));

        Assert.Empty(missing);
    }

    [Fact]
    public void ProtocolsDoc_ErrorTable_AgreesWithStatusOf()
    {
        // Rows like "| `key.not_found` / `key.retire_latest` | 404 / 409 | ..." or "| `a`, `b` | 400 | ...".
        var section = Section63(File.ReadAllText(ProtocolsDoc()));
        var rows = 0;
        foreach (var line in section.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            var codes = Regex.Matches(cells[1], "`([a-z_.*]+)`").Select(m => m.Groups[1].Value).ToList();
            var statuses = cells[2].Split('/', StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
            Assert.True(statuses.Count == 1 || statuses.Count == codes.Count, line);
            for (var i = 0; i < codes.Count; i++)
            {
                var code = codes[i] == "attestation.*" ? "attestation.untrusted_root" : codes[i];
                Assert.True(statuses[statuses.Count == 1 ? 0 : i] == ApiErrors.StatusOf(code), $"{code}: documented {statuses[statuses.Count == 1 ? 0 : i]}, served {ApiErrors.StatusOf(code)}");
                rows++;
            }
        }

        Assert.Equal(Documented.Count + 1, rows);
    }

    [Fact]
    public void Fail_TakesItsStatusFromTheCode()
    {
        var result = ApiResult<string>.Fail(KeyServiceErrors.LeaseExpired, "gone");

        Assert.Equal(410, result.Status);
        Assert.Equal(KeyServiceErrors.LeaseExpired, result.Error?.Code);
        Assert.Equal("gone", result.Error?.Message);
        Assert.Null(result.Value);
    }

    [Fact]
    public void ImplicitConversion_FromApiError_KeepsCodeMessageAndStatus()
    {
        ApiResult<string> result = ApiErrors.Of(KeyServiceErrors.NotOwner, "not yours");

        Assert.Equal(403, result.Status);
        Assert.Equal(new ErrorDetail(KeyServiceErrors.NotOwner, "not yours"), result.Error);
    }

    [Fact]
    public void OkAndCreated_Have200And201WithoutError()
    {
        Assert.Equal(200, ApiResult<string>.Ok("v").Status);
        Assert.Equal(201, ApiResult<string>.Created("v").Status);
        Assert.Null(ApiResult<string>.Created("v").Error);
    }

    private static string Section63(string doc)
    {
        var start = doc.IndexOf("### 6.3", StringComparison.Ordinal);
        var end = doc.IndexOf("### 6.4", start, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/protocols.md has no §6.3 followed by §6.4");
        return doc[start..end].Replace("\r", string.Empty, StringComparison.Ordinal);
    }

    /// <summary>docs/protocols.md of this checkout: found from the test's directory up to the one holding Sesemi.slnx.</summary>
    private static string ProtocolsDoc()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sesemi.slnx")))
            {
                return Path.Combine(directory.FullName, "docs", "protocols.md");
            }
        }

        Assert.Fail("No Sesemi.slnx above " + AppContext.BaseDirectory);
        return string.Empty;
    }
}
