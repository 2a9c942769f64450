using System.Net;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>Settings of an <see cref="ActionServer"/>, validated when it starts.</summary>
public sealed class ActionServerOptions
{
    /// <summary>Room for the <c>/run</c> envelope around the parameters: the <c>value</c> wrapper and the activation fields.</summary>
    public const int EnvelopeAllowanceBytes = 64 * 1024;

    /// <summary>Listen address: loopback by default; the container image sets <c>0.0.0.0</c> so the invoker can reach it.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen port: 8080 is where the invoker calls (serverless-platforms.md §1.1); 0 picks a free one.</summary>
    public int Port { get; set; } = ActionProtocol.DefaultPort;

    /// <summary>
    /// Most <c>/run</c> calls served at once (intra-container concurrency, §1.4); one more is refused with 429
    /// <c>runtime.busy</c>. Set it to at least the action's <c>limits.concurrency</c>: the invoker never sends more.
    /// </summary>
    public int MaxConcurrentActivations { get; set; } = 16;

    /// <summary>
    /// Largest <c>/init</c> or <c>/run</c> body: OpenWhisk's default payload limit (1 MiB, §1.3) plus
    /// <see cref="EnvelopeAllowanceBytes"/>. Raise it with <c>whisk.activation.payload.max</c> (SeSeMI used 2 MiB, §3).
    /// </summary>
    public int MaxRequestBytes { get; set; } = ActionProtocol.DefaultPayloadLimitBytes + EnvelopeAllowanceBytes;

    /// <summary>Deepest nesting accepted in a body (the reader's default).</summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Write <see cref="ActionProtocol.ActivationSentinel"/> to stdout and stderr after each <c>/run</c> (§1.3).</summary>
    public bool WriteSentinels { get; set; } = true;

    /// <summary>
    /// The container's <c>__OW_API_HOST</c> (set by the invoker at <c>docker run</c>, not sent in requests, §1.3), passed
    /// to handlers as <see cref="ActivationContext.ApiHost"/>; the composition root reads it from the environment.
    /// </summary>
    public string? ApiHost { get; set; }

    /// <summary>The activation log's stdout (sentinels, the second-init message); null is <see cref="Console.Out"/>.</summary>
    public TextWriter? StandardOutput { get; set; }

    /// <summary>The activation log's stderr; null is <see cref="Console.Error"/>.</summary>
    public TextWriter? StandardError { get; set; }

    /// <summary>Throws with every problem found, so a misconfigured runtime does not start.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (!IPAddress.TryParse(ListenAddress, out _))
        {
            problems.Add($"'{ListenAddress}' is not an IP address");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"port {Port} is out of range");
        }

        if (MaxConcurrentActivations is < 1 or > 100_000)
        {
            problems.Add("the concurrent activation limit must be between 1 and 100000");
        }

        if (MaxRequestBytes is < 1024 or > 256 * 1024 * 1024)
        {
            problems.Add("the request body limit must be between 1 KiB and 256 MiB");
        }

        if (MaxJsonDepth is < 1 or > 512)
        {
            problems.Add("the JSON depth limit must be between 1 and 512");
        }

        if (ApiHost is { } host && string.IsNullOrWhiteSpace(host))
        {
            problems.Add("the API host must not be blank (leave it null when there is none)");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid action server options: " + string.Join("; ", problems) + ".");
        }
    }
}
