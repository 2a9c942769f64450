using Sesemi.Gateway.Platforms;

namespace Sesemi.Gateway.Routing;

/// <summary>
/// A function group: one user-visible endpoint backed by a pool of platform functions that all run the same runtime
/// image. Its functions are named <c>&lt;group&gt;-&lt;index&gt;</c> (the <c>dedicated</c> policy:
/// <c>&lt;group&gt;-m-&lt;12 hex digits of SHA-256(model)&gt;</c>).
/// </summary>
public sealed record GroupSpec
{
    /// <summary>The longest group name (so every function name stays short).</summary>
    public const int MaxNameLength = 64;

    /// <summary>The group's name: 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.</summary>
    public required string Name { get; init; }

    /// <summary>The runtime image every function of the group runs.</summary>
    public required string Image { get; init; }

    /// <summary>The most functions the group deploys (the reference's pool size, default 5).</summary>
    public int PoolSize { get; init; } = 5;

    /// <summary>Functions kept deployed when idle (<c>sesemi</c>); the <c>reference</c> policy deploys the whole pool, <c>dedicated</c> none.</summary>
    public int MinFunctions { get; init; } = 1;

    /// <summary>Requests one instance serves at once (the platform's per-instance concurrency).</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Memory of one instance in MiB.</summary>
    public int MemoryMb { get; init; } = 1024;

    /// <summary>The longest one activation may run.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The routing policy: one of <see cref="PolicyNames"/>.</summary>
    public string Policy { get; init; } = PolicyNames.Default;

    /// <summary>Requests that may wait for capacity; 0 answers <c>gateway.queue_full</c> whenever everything is busy.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>How long a request may wait in the queue before it is answered <c>gateway.deadline_exceeded</c>.</summary>
    public TimeSpan QueueDeadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Every problem with the spec (empty when it is valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!IsValidName(Name))
        {
            problems.Add($"The group name must be 1 to {MaxNameLength} letters, digits, '-', '_' or '.', starting with a letter or digit.");
        }

        if (PoolSize is < 1 or > 1000)
        {
            problems.Add("The pool size must be between 1 and 1000.");
        }

        if (MinFunctions < 0 || MinFunctions > PoolSize)
        {
            problems.Add("The minimum number of functions must be between 0 and the pool size.");
        }

        if (!PolicyNames.IsKnown(Policy))
        {
            problems.Add(PolicyNames.UnknownMessage(Policy));
        }

        if (QueueCapacity is < 0 or > 1_000_000)
        {
            problems.Add("The queue capacity must be between 0 and 1000000.");
        }

        if (QueueDeadline <= TimeSpan.Zero || QueueDeadline > TimeSpan.FromHours(1))
        {
            problems.Add("The queue deadline must be positive and at most 1 hour.");
        }

        // The platform's own rules for the image and the limits, on the longest name the group can produce.
        if (IsValidName(Name) && FunctionSpec(Name + "-m-000000000000").Validate() is { } functionProblem)
        {
            problems.Add(functionProblem);
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem when the spec is invalid.</summary>
    public void ThrowIfInvalid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid function group '{Name}': {string.Join(" ", problems)}");
        }
    }

    /// <summary>Whether <paramref name="name"/> is a valid group name.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The platform spec of one of the group's functions.</summary>
    internal FunctionSpec FunctionSpec(string functionName) => new()
    {
        Name = functionName,
        Image = Image,
        Concurrency = Concurrency,
        MemoryMb = MemoryMb,
        Timeout = Timeout,
    };
}
