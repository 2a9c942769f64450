using System.Globalization;
using System.Text;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Api;

/// <summary>
/// Writes <see cref="GatewayMetrics"/> in the Prometheus text exposition format 0.0.4: each family once, with its
/// <c># HELP</c> and <c># TYPE</c> lines before its samples; label values escaped (backslash, double quote, newline);
/// numbers in invariant culture (<c>NaN</c>, <c>+Inf</c>, <c>-Inf</c> spelled as the format wants).
/// </summary>
internal static class PrometheusText
{
    private static readonly string[] Outcomes = ["succeeded", "application_error", "failed", "cancelled"];

    public static string Write(GatewayMetrics metrics)
    {
        var text = new StringBuilder(4096);
        var groups = metrics.Groups;

        Family(text, "sesemi_gateway_groups", "gauge", "Function groups.");
        Sample(text, "sesemi_gateway_groups", [], groups.Count);

        Family(text, "sesemi_gateway_requests_received_total", "counter", "Requests received by the group.");
        foreach (var g in groups)
        {
            Sample(text, "sesemi_gateway_requests_received_total", [("group", g.Name)], g.Requests);
        }

        Family(text, "sesemi_gateway_requests_total", "counter", "Requests answered, by outcome: succeeded, application_error (the runtime's own error), failed (a gateway error), cancelled (the caller went away).");
        foreach (var g in groups)
        {
            long[] counts = [g.Succeeded, g.ApplicationErrors, g.Failed, g.Cancelled];
            for (var i = 0; i < Outcomes.Length; i++)
            {
                Sample(text, "sesemi_gateway_requests_total", [("group", g.Name), ("outcome", Outcomes[i])], counts[i]);
            }
        }

        Family(text, "sesemi_gateway_errors_total", "counter", "Requests answered with a gateway error, by error code.");
        foreach (var g in groups)
        {
            foreach (var (code, count) in g.Errors.OrderBy(static e => e.Key, StringComparer.Ordinal))
            {
                Sample(text, "sesemi_gateway_errors_total", [("group", g.Name), ("code", code)], count);
            }
        }

        GroupFamily(text, groups, "sesemi_gateway_cold_starts_total", "counter", "Invocations for which the platform started an instance.", static g => g.ColdStarts);
        GroupFamily(text, groups, "sesemi_gateway_in_flight", "gauge", "Requests running now.", static g => g.InFlight);
        GroupFamily(text, groups, "sesemi_gateway_queue_length", "gauge", "Requests waiting for capacity now.", static g => g.QueueLength);
        GroupFamily(text, groups, "sesemi_gateway_queue_length_max", "gauge", "The longest the group's queue has been.", static g => g.MaxQueueLength);
        GroupFamily(text, groups, "sesemi_gateway_functions", "gauge", "Functions of the group now (deploying or ready).", static g => g.Functions.Count);
        GroupFamily(text, groups, "sesemi_gateway_capacity", "gauge", "Requests the group's functions take at once.", static g => g.Functions.Sum(static f => (long)f.Capacity));
        GroupFamily(text, groups, "sesemi_gateway_deploys_total", "counter", "Functions deployed, including failed deployments.", static g => g.Deploys);
        GroupFamily(text, groups, "sesemi_gateway_deploy_failures_total", "counter", "Function deployments that failed.", static g => g.DeployFailures);
        GroupFamily(text, groups, "sesemi_gateway_retired_total", "counter", "Functions removed by shrinking or replacement.", static g => g.Retired);

        FunctionFamily(text, groups, "sesemi_gateway_function_in_flight", "gauge", "Requests running on the function now.", static f => f.InFlight);
        FunctionFamily(text, groups, "sesemi_gateway_function_capacity", "gauge", "Requests the function takes at once.", static f => f.Capacity);
        FunctionFamily(text, groups, "sesemi_gateway_function_invocations_total", "counter", "Invocations the function ran.", static f => f.Invocations);

        ModelFamily(text, groups, "sesemi_gateway_model_requests_total", "counter", "Requests received for the model.", static m => m.Requests);
        Family(text, "sesemi_gateway_model_answers_total", "counter", "Requests of the model answered, by outcome: succeeded, application_error, failed (gateway errors and cancellations).");
        foreach (var g in groups)
        {
            foreach (var m in g.Models)
            {
                long[] counts = [m.Succeeded, m.ApplicationErrors, m.Failed];
                for (var i = 0; i < counts.Length; i++)
                {
                    Sample(text, "sesemi_gateway_model_answers_total", [("group", g.Name), ("model", m.Model), ("outcome", Outcomes[i])], counts[i]);
                }
            }
        }

        ModelFamily(text, groups, "sesemi_gateway_model_cold_starts_total", "counter", "Invocations of the model that started an instance.", static m => m.ColdStarts);
        ModelFamily(text, groups, "sesemi_gateway_model_in_flight", "gauge", "Requests of the model running now.", static m => m.InFlight);
        ModelFamily(text, groups, "sesemi_gateway_model_queued", "gauge", "Requests of the model waiting now.", static m => m.Queued);
        ModelFamily(text, groups, "sesemi_gateway_model_rate_per_second", "gauge", "Smoothed arrival rate of the model's requests.", static m => m.RatePerSecond);
        ModelFamily(text, groups, "sesemi_gateway_model_execution_ms", "gauge", "Smoothed warm execution time of the model on the platform (after its first success).", static m => m.ExecutionMs);
        ModelFamily(text, groups, "sesemi_gateway_model_latency_smoothed_ms", "gauge", "Smoothed latency of the model's requests at the gateway (after its first answer).", static m => m.LatencyMs);
        ModelFamily(text, groups, "sesemi_gateway_model_hot", "gauge", "1 when the routing policy treats the model as hot, else 0.", static m => m.Hot ? 1 : 0);
        ModelFamily(text, groups, "sesemi_gateway_model_owned_functions", "gauge", "Functions the model holds.", static m => m.OwnedFunctions);

        const string Latency = "sesemi_gateway_model_latency_ms";
        Family(text, Latency, "histogram", "Latency of the model's answered requests at the gateway (queue, deployment and invocation), in milliseconds.");
        foreach (var g in groups)
        {
            foreach (var m in g.Models)
            {
                long cumulative = 0;
                for (var i = 0; i < m.LatencyCounts.Count; i++)
                {
                    cumulative += m.LatencyCounts[i];
                    var le = i < m.LatencyBucketsMs.Count ? Number(m.LatencyBucketsMs[i]) : "+Inf";
                    Sample(text, Latency + "_bucket", [("group", g.Name), ("model", m.Model), ("le", le)], cumulative);
                }

                Sample(text, Latency + "_sum", [("group", g.Name), ("model", m.Model)], m.LatencySumMs);
                Sample(text, Latency + "_count", [("group", g.Name), ("model", m.Model)], cumulative);
            }
        }

        return text.ToString();
    }

    /// <summary>A label value as the exposition format writes it inside double quotes.</summary>
    internal static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }

        var escaped = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    escaped.Append(@"\\");
                    break;
                case '"':
                    escaped.Append(@"\""");
                    break;
                case '\n':
                    escaped.Append(@"\n");
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }

        return escaped.ToString();
    }

    /// <summary>A sample value: shortest round-trip form, or <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>.</summary>
    internal static string Number(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static void GroupFamily(StringBuilder text, IReadOnlyList<GroupMetrics> groups, string name, string type, string help, Func<GroupMetrics, long> value)
    {
        Family(text, name, type, help);
        foreach (var g in groups)
        {
            Sample(text, name, [("group", g.Name)], value(g));
        }
    }

    private static void FunctionFamily(StringBuilder text, IReadOnlyList<GroupMetrics> groups, string name, string type, string help, Func<FunctionMetrics, long> value)
    {
        Family(text, name, type, help);
        foreach (var g in groups)
        {
            foreach (var f in g.Functions)
            {
                Sample(text, name, [("group", g.Name), ("function", f.Name)], value(f));
            }
        }
    }

    /// <summary>A per-model family; models whose value is null (not measured yet) have no sample.</summary>
    private static void ModelFamily(StringBuilder text, IReadOnlyList<GroupMetrics> groups, string name, string type, string help, Func<ModelMetrics, double?> value)
    {
        Family(text, name, type, help);
        foreach (var g in groups)
        {
            foreach (var m in g.Models)
            {
                if (value(m) is { } v)
                {
                    Sample(text, name, [("group", g.Name), ("model", m.Model)], v);
                }
            }
        }
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, ReadOnlySpan<(string Name, string Value)> labels, long value)
    {
        Labels(text, name, labels);
        text.Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Sample(StringBuilder text, string name, ReadOnlySpan<(string Name, string Value)> labels, double value)
    {
        Labels(text, name, labels);
        text.Append(Number(value)).Append('\n');
    }

    private static void Labels(StringBuilder text, string name, ReadOnlySpan<(string Name, string Value)> labels)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                text.Append(labels[i].Name).Append("=\"").Append(EscapeLabelValue(labels[i].Value)).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ');
    }
}
