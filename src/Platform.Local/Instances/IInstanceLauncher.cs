using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.Local.Instances;

/// <summary>
/// Starts instances of functions. The pool decides when and how many; a launcher only knows how one is started and
/// spoken to, so the pool can be tested without processes. The real one is <c>ProcessInstanceLauncher</c>.
/// </summary>
internal interface IInstanceLauncher : IAsyncDisposable
{
    /// <summary>
    /// Starts one instance and initializes it (<c>/init</c> answered 200) within <see cref="LaunchRequest.StartTimeout"/>.
    /// Expected failures come back as <see cref="LaunchResult.Failed"/>; cancellation means the pool gave up on it.
    /// </summary>
    Task<LaunchResult> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken);
}

/// <summary>One started instance of a function.</summary>
internal interface IInstance : IAsyncDisposable
{
    string Id { get; }

    /// <summary>Completes when the instance has exited (crashed, or after <see cref="Kill"/>).</summary>
    Task Exited { get; }

    /// <summary>Why it exited, e.g. <c>process 123 exited with code 1</c>; meaningful once <see cref="Exited"/> completed.</summary>
    string ExitDescription { get; }

    /// <summary>Runs one activation: the instance's answer, or why there was none. Never throws for instance failures.</summary>
    Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancellationToken);

    /// <summary>Stops the instance at once (its whole process tree), for <paramref name="reason"/>.</summary>
    void Kill(string reason);

    /// <summary>Its resident memory in bytes, or null when unknown (not running).</summary>
    long? ResidentMemoryBytes();
}

/// <summary>What to start.</summary>
/// <param name="InstanceId">The id the pool gave the instance.</param>
/// <param name="Function">The function and version it runs.</param>
/// <param name="Image">The local runtime of the function's image.</param>
/// <param name="Namespace">The platform's namespace.</param>
/// <param name="StartTimeout">The longest the start and <c>/init</c> may take.</param>
internal sealed record LaunchRequest(string InstanceId, FunctionInfo Function, LocalImage Image, string Namespace, TimeSpan StartTimeout);

/// <summary>A started instance, or why none could be started (an OpenWhisk-style message for the invocations that waited).</summary>
internal sealed record LaunchResult
{
    private LaunchResult(IInstance? instance, string? failure)
    {
        Instance = instance;
        Failure = failure;
    }

    public IInstance? Instance { get; }

    public string? Failure { get; }

    public static LaunchResult Started(IInstance instance) => new(instance ?? throw new ArgumentNullException(nameof(instance)), null);

    public static LaunchResult Failed(string failure) => new(null, failure ?? throw new ArgumentNullException(nameof(failure)));
}

/// <summary>One activation as <c>/run</c> carries it (serverless-platforms.md §1.3).</summary>
/// <param name="Parameters">The <c>value</c>: a UTF-8 JSON object, already checked.</param>
/// <param name="Namespace">The <c>namespace</c>.</param>
/// <param name="ActionName">The <c>action_name</c>, fully qualified: <c>/guest/name</c>.</param>
/// <param name="ActionVersion">The <c>action_version</c>.</param>
/// <param name="ActivationId">The <c>activation_id</c>: 32 hex digits.</param>
/// <param name="TransactionId">The <c>transaction_id</c>.</param>
/// <param name="Deadline">The <c>deadline</c>: when the platform kills the instance if the activation still runs.</param>
internal sealed record RunRequest(
    ReadOnlyMemory<byte> Parameters,
    string Namespace,
    string ActionName,
    string ActionVersion,
    string ActivationId,
    string TransactionId,
    DateTimeOffset Deadline);

/// <summary>How a <c>/run</c> failed to produce an answer.</summary>
internal enum RunFailure
{
    /// <summary>It answered.</summary>
    None,

    /// <summary>The connection was refused, reset or closed before a full answer.</summary>
    ConnectionFailed,

    /// <summary>The instance's process had exited.</summary>
    Exited,

    /// <summary>The pool cancelled the run (the instance was stopped, or the platform is stopping).</summary>
    Cancelled,
}

/// <summary>The instance's answer to <c>/run</c> (status and body), or why there was none.</summary>
internal readonly record struct RunOutcome
{
    private RunOutcome(int status, ReadOnlyMemory<byte> body, RunFailure failure, string? reason)
    {
        Status = status;
        Body = body;
        Failure = failure;
        Reason = reason;
    }

    /// <summary>The HTTP status of the answer.</summary>
    public int Status { get; }

    /// <summary>The body of the answer.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    public RunFailure Failure { get; }

    /// <summary>Why there was no answer (for events and error messages; never request data).</summary>
    public string? Reason { get; }

    public bool Answered => Failure == RunFailure.None;

    public static RunOutcome Answer(int status, ReadOnlyMemory<byte> body) => new(status, body, RunFailure.None, null);

    public static RunOutcome Failed(RunFailure failure, string reason)
    {
        if (failure == RunFailure.None)
        {
            throw new ArgumentOutOfRangeException(nameof(failure), failure, "A failed run has a failure kind.");
        }

        return new(0, default, failure, reason);
    }
}
