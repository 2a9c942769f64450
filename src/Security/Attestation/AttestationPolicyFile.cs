using System.Globalization;
using System.Text.Json;

namespace Sesemi.Security.Attestation;

/// <summary>
/// The policy file an owner writes (JSON). Top level: <c>allowDebug</c>, <c>allowSimulation</c> (both default
/// false), <c>acceptedTcbStatuses</c> (default <c>["UpToDate"]</c>), <c>requireCompleteCollateral</c> (default true),
/// <c>maxEvidenceAgeSeconds</c>, and one section per
/// accepted TEE kind — <c>sgx</c>, <c>tdx</c>, <c>snp</c>, <c>simulated</c> — each with <c>measurements</c> (hex list,
/// or <c>"any"</c>), and optionally <c>signers</c>, <c>productIds</c>, <c>minSecurityVersion</c>, <c>minimumTcb</c>
/// (name → minimum SVN) and <c>acceptedTcbStatuses</c>. Kinds without a section are refused. Unknown keys are errors:
/// a misspelt rule must not silently loosen a policy.
/// </summary>
public static class AttestationPolicyFile
{
    public const int MaxSize = 256 * 1024;

    private static readonly string[] TopLevelKeys = ["allowDebug", "allowSimulation", "acceptedTcbStatuses", "requireCompleteCollateral", "maxEvidenceAgeSeconds", "sgx", "tdx", "snp", "simulated", "$comment"];
    private static readonly string[] KindKeys = ["measurements", "signers", "productIds", "minSecurityVersion", "minimumTcb", "acceptedTcbStatuses", "$comment"];

    /// <summary>
    /// The production policy used when no file is given: any measurement, no debug, no simulation, only up-to-date
    /// TCBs judged on complete collateral.
    /// </summary>
    public static AttestationPolicy Production { get; } = new() { AnyMeasurement = true };

    /// <summary>Parses a policy file; throws <see cref="FormatException"/> naming the offending JSON path.</summary>
    public static AttestationPolicy Parse(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxSize)
        {
            throw new FormatException($"The policy file is {json.Length} bytes; at most {MaxSize} are accepted.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false, MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"The policy file is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            Expect(root, JsonValueKind.Object, "$");
            RejectUnknown(root, TopLevelKeys, "$");

            var allowSimulation = Bool(root, "allowSimulation", "$");
            var measurements = new HashSet<Measurement>();
            var rules = new Dictionary<TeeKind, TeeRules>();
            foreach (var (key, kind) in new[] { ("sgx", TeeKind.SgxDcap), ("tdx", TeeKind.Tdx), ("snp", TeeKind.SevSnp), ("simulated", TeeKind.Simulated) })
            {
                if (root.TryGetProperty(key, out var section))
                {
                    rules[kind] = ParseKind(section, kind, "$." + key, measurements);
                }
            }

            if (rules.Count == 0)
            {
                throw new FormatException("$: the policy names no TEE kind; add a section \"sgx\", \"tdx\", \"snp\" or \"simulated\".");
            }

            if (rules.ContainsKey(TeeKind.Simulated) && !allowSimulation)
            {
                throw new FormatException("$.simulated: rules for simulated evidence need \"allowSimulation\": true (never in production).");
            }

            var maxAge = root.TryGetProperty("maxEvidenceAgeSeconds", out var age)
                ? TimeSpan.FromSeconds(Integer(age, "$.maxEvidenceAgeSeconds", 1, 86_400 * 365))
                : (TimeSpan?)null;
            return new AttestationPolicy
            {
                AllowDebug = Bool(root, "allowDebug", "$"),
                RequireCompleteCollateral = !root.TryGetProperty("requireCompleteCollateral", out _) || Bool(root, "requireCompleteCollateral", "$"),
                AllowSimulation = allowSimulation,
                AcceptedTcbStatuses = root.TryGetProperty("acceptedTcbStatuses", out var statuses)
                    ? Statuses(statuses, "$.acceptedTcbStatuses")
                    : new HashSet<TcbStatus> { TcbStatus.UpToDate },
                MaxEvidenceAge = maxAge,
                AllowedMeasurements = measurements,
                AllowedKinds = rules.Keys.ToHashSet(),
                Rules = rules,
            };
        }
    }

    private static TeeRules ParseKind(JsonElement section, TeeKind kind, string path, HashSet<Measurement> measurements)
    {
        Expect(section, JsonValueKind.Object, path);
        RejectUnknown(section, KindKeys, path);
        if (!section.TryGetProperty("measurements", out var list))
        {
            throw new FormatException($"{path}.measurements: required (a list of hex measurements, or \"any\").");
        }

        var any = false;
        if (list.ValueKind == JsonValueKind.String && list.GetString() == "any")
        {
            any = true;
        }
        else
        {
            Expect(list, JsonValueKind.Array, path + ".measurements");
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var itemPath = $"{path}.measurements[{index++}]";
                var text = String(item, itemPath);
                var qualified = text.Contains(':', StringComparison.Ordinal) ? text : $"{Prefix(kind)}{text.ToLowerInvariant()}";
                if (!Measurement.TryParse(qualified, out var measurement) || measurement.Kind != kind)
                {
                    throw new FormatException($"{itemPath}: '{text}' is not a {kind} measurement ({(kind is TeeKind.Tdx or TeeKind.SevSnp ? 96 : 64)} hex digits).");
                }

                measurements.Add(measurement);
            }
        }

        return new TeeRules
        {
            AnyMeasurement = any,
            Signers = section.TryGetProperty("signers", out var signers) ? Hexes(signers, path + ".signers") : new HashSet<string>(StringComparer.Ordinal),
            ProductIds = section.TryGetProperty("productIds", out var products)
                ? Array(products, path + ".productIds").Select((p, i) => (ushort)Integer(p, $"{path}.productIds[{i}]", 0, ushort.MaxValue)).ToHashSet()
                : new HashSet<ushort>(),
            MinSecurityVersion = section.TryGetProperty("minSecurityVersion", out var svn) ? (ushort)Integer(svn, path + ".minSecurityVersion", 0, ushort.MaxValue) : (ushort)0,
            MinimumTcbSvns = section.TryGetProperty("minimumTcb", out var tcb) ? Svns(tcb, path + ".minimumTcb") : new Dictionary<string, int>(StringComparer.Ordinal),
            AcceptedTcbStatuses = section.TryGetProperty("acceptedTcbStatuses", out var statuses) ? Statuses(statuses, path + ".acceptedTcbStatuses") : null,
        };
    }

    private static string Prefix(TeeKind kind) => kind switch
    {
        TeeKind.SgxDcap => "sgx:mrenclave:",
        TeeKind.Tdx => "tdx:mrtd:",
        TeeKind.SevSnp => "snp:measurement:",
        _ => "sim:mrenclave:",
    };

    private static Dictionary<string, int> Svns(JsonElement element, string path)
    {
        Expect(element, JsonValueKind.Object, path);
        var svns = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Length is 0 or > 32 || !property.Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                throw new FormatException($"{path}: '{property.Name}' is not an SVN name (lowercase letters, digits, '_').");
            }

            if (!svns.TryAdd(property.Name, (int)Integer(property.Value, $"{path}.{property.Name}", 0, uint.MaxValue >> 1)))
            {
                throw new FormatException($"{path}.{property.Name}: duplicate key.");
            }
        }

        return svns;
    }

    private static HashSet<TcbStatus> Statuses(JsonElement element, string path)
    {
        var statuses = new HashSet<TcbStatus>();
        var index = 0;
        foreach (var item in Array(element, path))
        {
            var itemPath = $"{path}[{index++}]";
            var text = String(item, itemPath);
            statuses.Add(text switch
            {
                "UpToDate" => TcbStatus.UpToDate,
                "SWHardeningNeeded" => TcbStatus.SwHardeningNeeded,
                "ConfigurationNeeded" => TcbStatus.ConfigurationNeeded,
                "ConfigurationAndSWHardeningNeeded" => TcbStatus.ConfigurationAndSwHardeningNeeded,
                "OutOfDate" => TcbStatus.OutOfDate,
                "OutOfDateConfigurationNeeded" => TcbStatus.OutOfDateConfigurationNeeded,
                "Unknown" => TcbStatus.Unknown,
                _ => throw new FormatException($"{itemPath}: '{text}' is not a TCB status (UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, Unknown)."),
            });
        }

        return statuses;
    }

    private static HashSet<string> Hexes(JsonElement element, string path)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in Array(element, path))
        {
            var itemPath = $"{path}[{index++}]";
            var text = String(item, itemPath).ToLowerInvariant();
            if (text.Length is 0 or > 256 || text.Length % 2 != 0 || !text.All(char.IsAsciiHexDigitLower))
            {
                throw new FormatException($"{itemPath}: '{text}' is not hex.");
            }

            values.Add(text);
        }

        return values;
    }

    private static bool Bool(JsonElement parent, string key, string path)
    {
        if (!parent.TryGetProperty(key, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new FormatException($"{path}.{key}: expected true or false."),
        };
    }

    private static long Integer(JsonElement element, string path, long min, long max) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{path}: expected an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");

    private static string String(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new FormatException($"{path}: expected a string.");

    private static JsonElement.ArrayEnumerator Array(JsonElement element, string path)
    {
        Expect(element, JsonValueKind.Array, path);
        return element.EnumerateArray();
    }

    private static void Expect(JsonElement element, JsonValueKind kind, string path)
    {
        if (element.ValueKind != kind)
        {
            throw new FormatException($"{path}: expected {(kind == JsonValueKind.Object ? "an object" : "an array")}.");
        }
    }

    private static void RejectUnknown(JsonElement element, string[] known, string path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw new FormatException($"{path}.{property.Name}: duplicate key.");
            }

            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new FormatException($"{path}.{property.Name}: unknown key (known: {string.Join(", ", known.Where(k => k[0] != '$'))}).");
            }
        }
    }
}
