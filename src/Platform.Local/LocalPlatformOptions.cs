namespace Sesemi.Platform.Local;

/// <summary>Settings of a <see cref="LocalPlatform"/>, validated when it is created.</summary>
public sealed class LocalPlatformOptions
{
    /// <summary>
    /// Memory shared by every instance, in MiB: each instance reserves its function's memory limit while it exists, as
    /// OpenWhisk's invoker does within <c>user-memory</c> (serverless-platforms.md §2.5).
    /// </summary>
    public int HostMemoryMb { get; set; } = 8192;

    /// <summary>How long an idle instance stays warm before it is reaped (OpenWhisk's <c>idle-container</c>, 10 minutes).</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Most invocations waiting for capacity across the platform; one more is refused with
    /// <see cref="Gateway.Platforms.PlatformErrorCode.Throttled"/>. Zero refuses any invocation that cannot run or start at once.
    /// </summary>
    public int MaxBufferedInvocations { get; set; } = 256;

    /// <summary>The longest an invocation waits for capacity before it is refused with <see cref="Gateway.Platforms.PlatformErrorCode.Throttled"/>.</summary>
    public TimeSpan MaxBufferWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest a cold start may take: the process starts and answers <c>/init</c> with 200.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the resident memory of each instance is compared with its function's memory limit.</summary>
    public TimeSpan MemoryCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The namespace of every function (the <c>namespace</c> and <c>action_name</c> of <c>/run</c>).</summary>
    public string Namespace { get; set; } = "guest";

    /// <summary>
    /// The images the platform can run, by name. A function's image is looked up as written (<c>name:tag</c>), then
    /// without its tag or digest (<c>name</c>, any tag).
    /// </summary>
    public IDictionary<string, LocalImage> Images { get; } = new Dictionary<string, LocalImage>(StringComparer.Ordinal);

    /// <summary>Throws with every problem found, so a misconfigured platform does not start.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (HostMemoryMb is < 128 or > 16 * 1024 * 1024)
        {
            problems.Add("the host memory must be between 128 MB and 16 TB");
        }

        if (KeepAlive <= TimeSpan.Zero || KeepAlive > TimeSpan.FromDays(30))
        {
            problems.Add("the keep-alive must be more than zero and at most 30 days");
        }

        if (MaxBufferedInvocations is < 0 or > 1_000_000)
        {
            problems.Add("the buffered invocation limit must be between 0 and 1000000");
        }

        if (MaxBufferWait <= TimeSpan.Zero || MaxBufferWait > TimeSpan.FromDays(1))
        {
            problems.Add("the longest buffer wait must be more than zero and at most one day");
        }

        if (StartTimeout <= TimeSpan.Zero || StartTimeout > TimeSpan.FromHours(1))
        {
            problems.Add("the start timeout must be more than zero and at most one hour");
        }

        if (MemoryCheckInterval < TimeSpan.FromMilliseconds(10) || MemoryCheckInterval > TimeSpan.FromHours(1))
        {
            problems.Add("the memory check interval must be between 10 ms and one hour");
        }

        if (string.IsNullOrEmpty(Namespace) || Namespace.Length > 256 || Namespace[0] == ' '
            || !Namespace.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@' or ' '))
        {
            problems.Add("the namespace must be 1 to 256 letters, digits, '_', '-', '.', '@' or spaces, not starting with a space");
        }

        foreach (var (name, image) in Images)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace))
            {
                problems.Add($"the image name '{name}' must be non-empty and without spaces");
            }

            if (image is null)
            {
                problems.Add($"image '{name}' is null");
                continue;
            }

            problems.AddRange(image.Problems(name));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid local platform options: " + string.Join("; ", problems) + ".");
        }
    }
}
