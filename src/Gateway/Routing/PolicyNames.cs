namespace Sesemi.Gateway.Routing;

/// <summary>The names of the routing policies a group can use (<see cref="GroupSpec.Policy"/>).</summary>
public static class PolicyNames
{
    /// <summary>The reference FnPacker's policy, kept for comparison: first-fit, claims, "All Busy" instead of a queue.</summary>
    public const string Reference = "reference";

    /// <summary>One function per model: the baseline without packing.</summary>
    public const string Dedicated = "dedicated";

    /// <summary>Ours, the default: affinity, packing of cold models, busy models on their own functions, a bounded queue, elastic pools.</summary>
    public const string Sesemi = "sesemi";

    /// <summary>The policy a group uses when it names none.</summary>
    public const string Default = Sesemi;

    /// <summary>Every policy name, in order.</summary>
    public static IReadOnlyList<string> All { get; } = [Dedicated, Reference, Sesemi];

    /// <summary>Whether <paramref name="name"/> names a policy (exact, lower case).</summary>
    public static bool IsKnown(string? name) => name is Reference or Dedicated or Sesemi;

    /// <summary>The error for an unknown name, listing the known ones.</summary>
    public static string UnknownMessage(string? name) =>
        $"Unknown routing policy '{name}'; the policies are: {string.Join(", ", All)}.";
}
