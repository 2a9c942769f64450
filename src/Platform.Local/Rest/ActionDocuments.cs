using System.Collections.Concurrent;
using System.Text.Json;
using Sesemi.Contracts.OpenWhisk;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Rest;

/// <summary>What the server keeps of an action besides the platform's <see cref="FunctionSpec"/>: its annotations and log limit.</summary>
/// <param name="Version">The platform version they belong to; another version (changed behind the server's back) shows defaults.</param>
/// <param name="Annotations">The action's annotations, <c>exec: blackbox</c> included.</param>
/// <param name="LogsMb">The action's log limit in MB (the platform keeps no logs; it is only echoed).</param>
internal sealed record ActionDecoration(string Version, IReadOnlyList<KeyValue> Annotations, int LogsMb);

/// <summary>
/// Actions in OpenWhisk's shape (serverless-platforms.md §2.2): a PUT body checked and mapped to a
/// <see cref="FunctionSpec"/>, and a <see cref="FunctionInfo"/> rendered as the stored action or a list entry.
/// </summary>
internal sealed class ActionDocuments(string ns)
{
    // The bounds: FunctionSpec's, and OpenWhisk's log limit (0..10 MB).
    public const int MinTimeoutMs = 100;
    public const int MaxTimeoutMs = 3_600_000;
    public const int MinMemoryMb = 128;
    public const int MaxMemoryMb = 65_536;
    public const int MinConcurrency = 1;
    public const int MaxConcurrency = 1000;
    public const int MinLogsMb = 0;
    public const int MaxLogsMb = 10;

    private static readonly JsonElement BlackboxValue = JsonElement.Parse("\"blackbox\"");

    private readonly ConcurrentDictionary<string, ActionDecoration> _decorations = new(StringComparer.Ordinal);

    /// <summary>Why <paramref name="name"/> is not a valid action name (FunctionSpec's rule), or null.</summary>
    public static string? NameProblem(string name) =>
        new FunctionSpec { Name = name, Image = "image" }.Validate() is null ? null : RestMessages.EntityNameIllegal;

    /// <summary>
    /// Maps a PUT body to the spec to deploy, its annotations (with <c>exec: blackbox</c>) and log limit. An update
    /// (<paramref name="existing"/> set) keeps what the body leaves out, as the controller does. Returns the 400 message
    /// when the body is not an image-only blackbox action with limits in bounds.
    /// </summary>
    public string? TryBuild(string name, ActionPut put, FunctionInfo? existing, out FunctionSpec spec, out ActionDecoration decoration)
    {
        spec = null!;
        decoration = null!;
        string? image;
        if (put.Exec is { } exec)
        {
            if (!string.Equals(exec.Kind, OpenWhiskProtocol.BlackboxKind, StringComparison.Ordinal))
            {
                return exec.Kind is null
                    ? $"The action's exec has no kind: {RestMessages.OnlyBlackbox}."
                    : $"The action kind '{Truncate(exec.Kind)}' is not supported: {RestMessages.OnlyBlackbox}.";
            }

            if (exec.Code is not null || exec.Main is not null)
            {
                return $"Action code and entry points are not supported: {RestMessages.OnlyBlackbox}.";
            }

            if (string.IsNullOrWhiteSpace(exec.Image))
            {
                return $"A blackbox action needs an image: {RestMessages.OnlyBlackbox}.";
            }

            image = exec.Image;
        }
        else if (existing is not null)
        {
            image = existing.Spec.Image;
        }
        else
        {
            return $"The action has no exec: {RestMessages.OnlyBlackbox}.";
        }

        if (put.Parameters is { Count: > 0 })
        {
            return "Bound parameters are not supported here; pass them with each invocation.";
        }

        var current = existing is null ? null : Decoration(existing);
        var limits = put.Limits;
        var timeout = limits?.Timeout ?? (existing is null ? ActionLimits.DefaultTimeoutMs : (int)existing.Spec.Timeout.TotalMilliseconds);
        var memory = limits?.Memory ?? existing?.Spec.MemoryMb ?? ActionLimits.DefaultMemoryMb;
        var concurrency = limits?.Concurrency ?? existing?.Spec.Concurrency ?? ActionLimits.DefaultConcurrency;
        var logs = limits?.Logs ?? current?.LogsMb ?? ActionLimits.DefaultLogsMb;
        var problems = new List<string>();
        Bound(problems, timeout, MinTimeoutMs, MaxTimeoutMs, "Time limit {0} ms", " ms");
        Bound(problems, memory, MinMemoryMb, MaxMemoryMb, "Memory {0} MB", " MB");
        Bound(problems, concurrency, MinConcurrency, MaxConcurrency, "Concurrency {0}", "");
        Bound(problems, logs, MinLogsMb, MaxLogsMb, "Log size {0} MB", " MB");
        if (problems.Count > 0)
        {
            return RestMessages.Malformed + string.Join("\n", problems);
        }

        spec = new FunctionSpec
        {
            Name = name,
            Image = image,
            Concurrency = concurrency,
            MemoryMb = memory,
            Timeout = TimeSpan.FromMilliseconds(timeout),
        };
        if (spec.Validate() is { } problem)
        {
            return problem;
        }

        var annotations = put.Annotations ?? current?.Annotations ?? [];
        decoration = new ActionDecoration("", WithExecAnnotation(annotations), logs);
        return null;
    }

    /// <summary>Remembers the annotations and log limit of a deployed version.</summary>
    public void Remember(FunctionInfo info, ActionDecoration decoration) =>
        _decorations[info.Name] = decoration with { Version = info.Version };

    /// <summary>Forgets them when the action is deleted.</summary>
    public void Forget(string name) => _decorations.TryRemove(name, out _);

    /// <summary>The stored action (PUT, GET, DELETE).</summary>
    public WhiskAction Render(FunctionInfo info) => Render(info, summary: false);

    /// <summary>A list entry: no parameters, exec reduced to <c>{"binary":false}</c>.</summary>
    public WhiskAction RenderSummary(FunctionInfo info) => Render(info, summary: true);

    /// <summary>The action's limits in OpenWhisk's units.</summary>
    public ActionLimits Limits(FunctionInfo info) => new()
    {
        Timeout = (int)Math.Min(int.MaxValue, info.Spec.Timeout.TotalMilliseconds),
        Memory = info.Spec.MemoryMb,
        Concurrency = info.Spec.Concurrency,
        Logs = Decoration(info).LogsMb,
    };

    private WhiskAction Render(FunctionInfo info, bool summary) => new()
    {
        Namespace = ns,
        Name = info.Name,
        Version = info.Version,
        Publish = false,
        Exec = summary
            ? new ActionExec { Binary = false }
            : new ActionExec { Kind = OpenWhiskProtocol.BlackboxKind, Image = info.Spec.Image, Binary = false },
        Annotations = Decoration(info).Annotations,
        Parameters = summary ? null : [],
        Limits = Limits(info),
        Updated = info.Updated.ToUnixTimeMilliseconds(),
    };

    private ActionDecoration Decoration(FunctionInfo info) =>
        _decorations.TryGetValue(info.Name, out var known) && known.Version == info.Version
            ? known
            : new ActionDecoration(info.Version, WithExecAnnotation([]), ActionLimits.DefaultLogsMb);

    /// <summary>The annotations without duplicate keys (the last wins, as in the controller's map) and with <c>exec: blackbox</c>.</summary>
    private static KeyValue[] WithExecAnnotation(IReadOnlyList<KeyValue> annotations)
    {
        var result = new List<KeyValue>(annotations.Count + 1);
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var annotation in annotations)
        {
            if (annotation.Key == ActivationAnnotations.Exec)
            {
                continue;
            }

            var kept = annotation with { Value = annotation.Value.Clone() };
            if (positions.TryGetValue(annotation.Key, out var at))
            {
                result[at] = kept;
            }
            else
            {
                positions.Add(annotation.Key, result.Count);
                result.Add(kept);
            }
        }

        result.Add(new KeyValue(ActivationAnnotations.Exec, BlackboxValue));
        return [.. result];
    }

    private static void Bound(List<string> problems, int value, int min, int max, string what, string unit)
    {
        var subject = string.Format(System.Globalization.CultureInfo.InvariantCulture, what, value);
        if (value < min)
        {
            problems.Add($"{subject} below allowed threshold of {min}{unit}.");
        }
        else if (value > max)
        {
            problems.Add($"{subject} exceeds allowed threshold of {max}{unit}.");
        }
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
