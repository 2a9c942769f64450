using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sesemi.Gateway.Api;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Tests.Routing;

namespace Sesemi.Gateway.Tests.Api;

/// <summary><c>GET /metrics</c>: the Prometheus text format, parsed line by line, and the values it carries.</summary>
public sealed partial class MetricsRouteTests
{
    [Fact]
    public async Task Metrics_NoGroups_IsValidExposition_WithZeroGroups()
    {
        await using var gateway = await GatewayHarness.StartAsync();

        var answer = await gateway.GetAsync("/metrics");

        Assert.Equal(200, answer.Status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", answer.ContentHeaders.ContentType?.ToString());
        var samples = Exposition.Parse(answer.Text);
        Assert.Equal(0, samples.Single(s => s.Name == "sesemi_gateway_groups").Value);
    }

    [Fact]
    public async Task Metrics_AfterTraffic_ParseLineByLine_AndCarryTheCounters()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson(name: "g", queueCapacity: 0));
        await gateway.CreateAsync(GatewayHarness.GroupJson(name: "h", policy: "reference", poolSize: 2));
        gateway.AnswerWith(FakeCall.ResultFor("a"), coldStart: true);
        Assert.Equal(200, (await gateway.InvokeAsync("owner/a")).Status);
        gateway.AnswerWith(FakeCall.ResultFor("a"), coldStart: false);
        Assert.Equal(200, (await gateway.InvokeAsync("owner/a")).Status);
        gateway.AnswerWith("""{"error":{"code":"release.not_granted","message":"no"}}"""u8.ToArray(), status: InvocationStatus.ApplicationError);
        Assert.Equal(200, (await gateway.InvokeAsync("owner/b")).Status);
        gateway.Platform.AutoAnswer = null;
        var running = gateway.InvokeAsync("owner/a");
        var call = await gateway.Platform.NextCallAsync();
        Assert.Equal(503, (await gateway.InvokeAsync("owner/c")).Status);

        var answer = await gateway.GetAsync("/metrics");

        call.Succeed();
        Assert.Equal(200, (await running).Status);
        var samples = Exposition.Parse(answer.Text);
        double Value(string name, params (string, string)[] labels) =>
            Assert.Single(samples, s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Item1, out var v) && v == l.Item2)).Value;

        Assert.Equal(2, Value("sesemi_gateway_groups"));
        Assert.Equal(5, Value("sesemi_gateway_requests_received_total", ("group", "g")));
        Assert.Equal(2, Value("sesemi_gateway_requests_total", ("group", "g"), ("outcome", "succeeded")));
        Assert.Equal(1, Value("sesemi_gateway_requests_total", ("group", "g"), ("outcome", "application_error")));
        Assert.Equal(1, Value("sesemi_gateway_requests_total", ("group", "g"), ("outcome", "failed")));
        Assert.Equal(0, Value("sesemi_gateway_requests_total", ("group", "g"), ("outcome", "cancelled")));
        Assert.Equal(1, Value("sesemi_gateway_errors_total", ("group", "g"), ("code", "gateway.queue_full")));
        Assert.Equal(1, Value("sesemi_gateway_cold_starts_total", ("group", "g")));
        Assert.Equal(1, Value("sesemi_gateway_in_flight", ("group", "g")));
        Assert.Equal(0, Value("sesemi_gateway_queue_length", ("group", "g")));
        Assert.Equal(1, Value("sesemi_gateway_functions", ("group", "g")));
        Assert.Equal(2, Value("sesemi_gateway_functions", ("group", "h")));
        Assert.Equal(1, Value("sesemi_gateway_capacity", ("group", "g")));
        Assert.Equal(1, Value("sesemi_gateway_deploys_total", ("group", "g")));
        Assert.Equal(2, Value("sesemi_gateway_deploys_total", ("group", "h")));
        Assert.Equal(1, Value("sesemi_gateway_function_in_flight", ("group", "g"), ("function", "g-0")));
        Assert.Equal(3, Value("sesemi_gateway_model_requests_total", ("group", "g"), ("model", "owner/a")));
        Assert.Equal(2, Value("sesemi_gateway_model_answers_total", ("group", "g"), ("model", "owner/a"), ("outcome", "succeeded")));
        Assert.Equal(1, Value("sesemi_gateway_model_answers_total", ("group", "g"), ("model", "owner/b"), ("outcome", "application_error")));
        Assert.Equal(1, Value("sesemi_gateway_model_answers_total", ("group", "g"), ("model", "owner/c"), ("outcome", "failed")));
        Assert.Equal(1, Value("sesemi_gateway_model_cold_starts_total", ("group", "g"), ("model", "owner/a")));
        Assert.Equal(1, Value("sesemi_gateway_model_in_flight", ("group", "g"), ("model", "owner/a")));
        Assert.True(Value("sesemi_gateway_model_rate_per_second", ("group", "g"), ("model", "owner/a")) >= 0);
        Assert.True(Value("sesemi_gateway_model_execution_ms", ("group", "g"), ("model", "owner/a")) >= 0);
        Assert.DoesNotContain(samples, s => s.Name == "sesemi_gateway_model_execution_ms" && s.Labels["model"] == "owner/c");

        // The histogram: cumulative buckets ending in +Inf, which equals _count.
        var buckets = samples.Where(s => s.Name == "sesemi_gateway_model_latency_ms_bucket" && s.Labels["group"] == "g" && s.Labels["model"] == "owner/a").ToList();
        Assert.Equal(14, buckets.Count);
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
        Assert.Equal("5", buckets[0].Labels["le"]);
        for (var i = 1; i < buckets.Count; i++)
        {
            Assert.True(buckets[i].Value >= buckets[i - 1].Value);
            Assert.True(double.Parse(buckets[i - 1].Labels["le"], CultureInfo.InvariantCulture) < (i == buckets.Count - 1 ? double.PositiveInfinity : double.Parse(buckets[i].Labels["le"], CultureInfo.InvariantCulture)));
        }

        Assert.Equal(2, buckets[^1].Value);
        Assert.Equal(2, Value("sesemi_gateway_model_latency_ms_count", ("group", "g"), ("model", "owner/a")));
        Assert.True(Value("sesemi_gateway_model_latency_ms_sum", ("group", "g"), ("model", "owner/a")) >= 0);
    }

    [Fact]
    public async Task Metrics_LabelValues_AreEscaped()
    {
        await using var gateway = await GatewayHarness.StartAsync();
        await gateway.CreateAsync(GatewayHarness.GroupJson());
        gateway.AnswerWith(FakeCall.ResultFor("a"));
        var model = "owner/m\"x\\y";
        var request = Encoding.UTF8.GetBytes("{\"model\":\"owner/m\\\"x\\\\y\",\"input\":\"AAAA\"}");
        Assert.Equal(200, (await gateway.InvokeAsync(request)).Status);

        var answer = await gateway.GetAsync("/metrics");

        Assert.Contains("sesemi_gateway_model_requests_total{group=\"g\",model=\"owner/m\\\"x\\\\y\"} 1\n", answer.Text, StringComparison.Ordinal);
        Assert.Contains(Exposition.Parse(answer.Text), s => s.Name == "sesemi_gateway_model_requests_total" && s.Labels["model"] == model);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\"b", "a\\\"b")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("\\\"\n", "\\\\\\\"\\n")]
    [InlineData("owner/é{}=,", "owner/é{}=,")]
    public void EscapeLabelValue_EscapesBackslashQuoteAndNewline(string value, string escaped)
    {
        Assert.Equal(escaped, PrometheusText.EscapeLabelValue(value));
        Assert.Equal(value, Exposition.Unescape(escaped));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(1.5, "1.5")]
    [InlineData(2500, "2500")]
    [InlineData(0.1, "0.1")]
    public void Number_IsInvariantAndSpellsSpecialValues(double value, string text)
    {
        Assert.Equal(text, PrometheusText.Number(value));
    }

    /// <summary>A strict reader of the text exposition format, enough to check every line the gateway writes.</summary>
    internal static partial class Exposition
    {
        public sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

        [GeneratedRegex("^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$")]
        private static partial Regex Help();

        [GeneratedRegex("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
        private static partial Regex Type();

        [GeneratedRegex("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? ([^ ]+)$")]
        private static partial Regex SampleLine();

        [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
        private static partial Regex LabelName();

        public static List<Sample> Parse(string text)
        {
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
            var types = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var samples = new List<Sample>();
            string? current = null;
            foreach (var line in text[..^1].Split('\n'))
            {
                if (line.StartsWith("# HELP ", StringComparison.Ordinal))
                {
                    Assert.Matches(Help(), line);
                    continue;
                }

                if (line.StartsWith('#'))
                {
                    var type = Type().Match(line);
                    Assert.True(type.Success, $"not a TYPE line: {line}");
                    var family = type.Groups[1].Value;
                    Assert.True(seen.Add(family), $"family {family} appears twice");
                    types[family] = type.Groups[2].Value;
                    current = family;
                    continue;
                }

                var match = SampleLine().Match(line);
                Assert.True(match.Success, $"not a sample line: {line}");
                var name = match.Groups[1].Value;
                Assert.True(current is not null && FamilyOf(name, types) == current, $"sample {name} does not follow the # TYPE of its family");
                var value = match.Groups[3].Value switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    "NaN" => double.NaN,
                    var number => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
                };
                var labels = ParseLabels(match.Groups[2].Value);
                if (types[current!] == "histogram" && name.EndsWith("_bucket", StringComparison.Ordinal))
                {
                    Assert.True(labels.ContainsKey("le"), $"bucket without le: {line}");
                }

                samples.Add(new Sample(name, labels, value));
            }

            return samples;
        }

        public static string Unescape(string value)
        {
            var text = new StringBuilder();
            for (var i = 0; i < value.Length; i++)
            {
                if (value[i] != '\\')
                {
                    text.Append(value[i]);
                    continue;
                }

                i++;
                text.Append(value[i] switch
                {
                    '\\' => '\\',
                    '"' => '"',
                    'n' => '\n',
                    var other => throw new FormatException($"unknown escape \\{other}"),
                });
            }

            return text.ToString();
        }

        private static string FamilyOf(string name, Dictionary<string, string> types)
        {
            foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            {
                if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var type) && type == "histogram")
                {
                    return name[..^suffix.Length];
                }
            }

            return name;
        }

        /// <summary><c>name="value",…</c> with escapes inside the quotes; every character accounted for.</summary>
        private static Dictionary<string, string> ParseLabels(string text)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var i = 0;
            while (i < text.Length)
            {
                var equals = text.IndexOf('=', i);
                Assert.True(equals > i, $"label without a name in {text}");
                var name = text[i..equals];
                Assert.Matches(LabelName(), name);
                Assert.Equal('"', text[equals + 1]);
                var j = equals + 2;
                var raw = new StringBuilder();
                while (text[j] != '"')
                {
                    if (text[j] == '\\')
                    {
                        raw.Append(text[j]);
                        j++;
                    }

                    Assert.NotEqual('\n', text[j]);
                    raw.Append(text[j]);
                    j++;
                }

                Assert.True(labels.TryAdd(name, Unescape(raw.ToString())), $"label {name} repeated");
                i = j + 1;
                if (i < text.Length)
                {
                    Assert.Equal(',', text[i]);
                    i++;
                }
            }

            return labels;
        }
    }
}
