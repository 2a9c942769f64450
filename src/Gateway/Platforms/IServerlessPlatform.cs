namespace Sesemi.Gateway.Platforms;

/// <summary>
/// A serverless platform the gateway drives: it stores functions (a runtime image with limits), starts, scales and
/// reaps their instances, and runs invocations on them. The embedded local platform and Apache OpenWhisk implement it,
/// so the gateway's routing never depends on which one runs the functions.
/// </summary>
/// <remarks>
/// Expected failures (an unknown function, a conflict, throttling, an application error) come back as values, never as
/// exceptions; exceptions mean a bug or a cancelled call. Every method is safe to call concurrently.
/// </remarks>
public interface IServerlessPlatform : IAsyncDisposable
{
    /// <summary>A short name for logs and metrics: <c>local</c>, <c>openwhisk</c>.</summary>
    string Name { get; }

    /// <summary>Creates a function, or replaces it when <paramref name="overwrite"/> is set.</summary>
    /// <returns>The stored function, or <see cref="PlatformErrorCode.Conflict"/> when it exists and overwrite is not set.</returns>
    Task<PlatformResult<FunctionInfo>> DeployAsync(FunctionSpec spec, bool overwrite, CancellationToken cancellationToken);

    /// <summary>The function with that name, or <see cref="PlatformErrorCode.NotFound"/>.</summary>
    Task<PlatformResult<FunctionInfo>> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every function, ordered by name.</summary>
    Task<PlatformResult<IReadOnlyList<FunctionInfo>>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the function; its instances are stopped once idle. Returns what was deleted, or <see cref="PlatformErrorCode.NotFound"/>.</summary>
    Task<PlatformResult<FunctionInfo>> DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one activation of the function with <paramref name="parameters"/> (a UTF-8 JSON object, the action's
    /// <c>value</c>) and waits for its result. Each accepted invocation is answered exactly once.
    /// </summary>
    Task<Invocation> InvokeAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken);

    /// <summary>
    /// The instances the platform knows of right now. A platform that does not expose its containers (OpenWhisk)
    /// returns an empty list.
    /// </summary>
    IReadOnlyList<InstanceState> Instances { get; }

    /// <summary>
    /// Instance events (cold starts, warm runs, reaps, crashes) as they happen. Observers are called synchronously on the
    /// platform's threads and must not block.
    /// </summary>
    IObservable<InstanceEvent> Events { get; }
}
