using Sesemi.Contracts.OpenWhisk;

namespace Sesemi.Platform.OpenWhisk;

/// <summary>How to reach an OpenWhisk deployment, and how patiently; validated when the platform is created.</summary>
public sealed class OpenWhiskOptions
{
    /// <summary>The API host, e.g. <c>https://openwhisk.example:443/</c> or <c>http://127.0.0.1:3233/</c>; <c>/api/v1/…</c> is appended.</summary>
    public Uri? ApiHost { get; set; }

    /// <summary>The namespace key, <c>uuid:key</c>, sent as HTTP Basic credentials (serverless-platforms.md §2.1). Never logged.</summary>
    public string Auth { get; set; } = "";

    /// <summary>The namespace of the actions; <c>_</c> is the key's own.</summary>
    public string Namespace { get; set; } = OpenWhiskProtocol.DefaultNamespace;

    /// <summary>
    /// Accept any TLS certificate, for self-signed deployments (<c>wsk -i</c>). Off by default; ignored when the caller
    /// supplies its own <see cref="HttpMessageHandler"/>.
    /// </summary>
    public bool AllowInsecureTls { get; set; }

    /// <summary>How many times a 429 is retried before the call fails with <c>platform.throttled</c>.</summary>
    public int MaxThrottleRetries { get; set; } = 3;

    /// <summary>The first wait after a 429 (doubled each time, with jitter) when the answer has no <c>Retry-After</c>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait after a 429; a <c>Retry-After</c> longer than this ends the retries at once.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first wait between polls of an activation that outlived the controller's blocking wait (202); it doubles.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between polls.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long to keep polling beyond the action's own time limit before giving up with <c>platform.unavailable</c>.</summary>
    public TimeSpan PollMargin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The longest one HTTP request may take. A blocking invoke is held by the controller for up to 60 s, so keep it above
    /// that.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Throws with every problem found, so a misconfigured backend is not created. Never echoes the key.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (ApiHost is null || !ApiHost.IsAbsoluteUri || ApiHost.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(ApiHost.Query) || !string.IsNullOrEmpty(ApiHost.Fragment) || !string.IsNullOrEmpty(ApiHost.UserInfo))
        {
            problems.Add("the API host must be an absolute http or https URI without credentials, query or fragment");
        }

        var colon = Auth?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (Auth is null || colon <= 0 || colon == Auth.Length - 1 || Auth.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || Auth.Length > 512)
        {
            problems.Add("the auth key must be 'uuid:key'");
        }

        if (string.IsNullOrEmpty(Namespace) || Namespace.Length > 256
            || !Namespace.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@'))
        {
            problems.Add("the namespace must be '_' or 1 to 256 letters, digits, '_', '-', '.' or '@'");
        }

        if (MaxThrottleRetries is < 0 or > 20)
        {
            problems.Add("the throttle retries must be between 0 and 20");
        }

        if (InitialBackoff < TimeSpan.FromMilliseconds(1) || MaxBackoff > TimeSpan.FromMinutes(5) || InitialBackoff > MaxBackoff)
        {
            problems.Add("the backoff must start at 1 ms or more and not pass the maximum backoff, itself at most 5 minutes");
        }

        if (PollInterval < TimeSpan.FromMilliseconds(1) || MaxPollInterval > TimeSpan.FromMinutes(1) || PollInterval > MaxPollInterval)
        {
            problems.Add("the poll interval must start at 1 ms or more and not pass the maximum poll interval, itself at most 1 minute");
        }

        if (PollMargin < TimeSpan.Zero || PollMargin > TimeSpan.FromHours(1))
        {
            problems.Add("the poll margin must be between zero and 1 hour");
        }

        if (RequestTimeout < TimeSpan.FromSeconds(1) || RequestTimeout > TimeSpan.FromHours(1))
        {
            problems.Add("the request timeout must be between 1 second and 1 hour");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid OpenWhisk options: " + string.Join("; ", problems) + ".");
        }
    }
}
