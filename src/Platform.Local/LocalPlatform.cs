using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Images;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Logging;
using Sesemi.Platform.Local.Processes;
using Sesemi.Platform.Local.Scheduling;

namespace Sesemi.Platform.Local;

/// <summary>
/// The embedded serverless platform: each function is a local runtime (see <see cref="LocalImage"/>) run as OS
/// processes on 127.0.0.1, started on demand (a cold start: process, <c>/init</c>, then <c>/run</c>), packed up to each
/// function's concurrency, bounded by each function's memory limit and by the host's memory, kept warm for a
/// keep-alive, then reaped. Crashed instances are replaced; an activation on an instance that failed under it is retried
/// once on another one; every accepted invocation is answered exactly once. See <c>src/Platform.Local/README.md</c>.
/// </summary>
public sealed class LocalPlatform : IServerlessPlatform
{
    private const string LoggerName = "Sesemi.Platform.Local";

    private readonly InstancePool _pool;
    private readonly ImageCatalog _images;
    private readonly int _hostMemoryMb;

    private LocalPlatform(InstancePool pool, ImageCatalog images, int hostMemoryMb)
    {
        _pool = pool;
        _images = images;
        _hostMemoryMb = hostMemoryMb;
    }

    public string Name => "local";

    public IReadOnlyList<InstanceState> Instances => _pool.Snapshot();

    public IObservable<InstanceEvent> Events => _pool.Events;

    /// <summary>The pool, for tests.</summary>
    internal InstancePool Pool => _pool;

    /// <summary>Creates a platform that runs its images as processes; throws <see cref="ArgumentException"/> listing every problem of <paramref name="options"/>.</summary>
    public static LocalPlatform Create(LocalPlatformOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        return Create(options, time, loggerFactory, new ProcessInstanceLauncher(time, loggerFactory.CreateLogger(LoggerName)), randomBytes: null);
    }

    /// <summary>Creates a platform on another launcher (tests), with activation ids from <paramref name="randomBytes"/> (16 bytes per id) when given.</summary>
    internal static LocalPlatform Create(LocalPlatformOptions options, TimeProvider time, ILoggerFactory loggerFactory, IInstanceLauncher launcher, Func<byte[]>? randomBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(launcher);
        options.Validate();
        var logger = loggerFactory.CreateLogger(LoggerName);
        var images = new ImageCatalog(options.Images);
        var source = randomBytes ?? (static () => RandomNumberGenerator.GetBytes(16));
        var pool = new InstancePool(options, launcher, time, logger, () => NewId(source));
        LocalPlatformLog.Created(logger, options.HostMemoryMb, options.KeepAlive.TotalSeconds, string.Join(", ", images.Names));
        return new LocalPlatform(pool, images, options.HostMemoryMb);
    }

    public Task<PlatformResult<FunctionInfo>> DeployAsync(FunctionSpec spec, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();
        if (spec.Validate() is { } invalid)
        {
            return Failed(PlatformErrorCode.BadRequest, invalid);
        }

        if (_images.Find(spec.Image) is not { } image)
        {
            return Failed(PlatformErrorCode.BadRequest, _images.Unknown(spec.Image));
        }

        if (spec.MemoryMb > _hostMemoryMb)
        {
            return Failed(PlatformErrorCode.BadRequest, $"The memory limit of {spec.MemoryMb} MB is more than the local platform's host memory of {_hostMemoryMb} MB.");
        }

        return Task.FromResult(_pool.Deploy(spec, image, overwrite));
    }

    public Task<PlatformResult<FunctionInfo>> GetAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_pool.Get(name));
    }

    public Task<PlatformResult<IReadOnlyList<FunctionInfo>>> ListAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(PlatformResult<IReadOnlyList<FunctionInfo>>.Success(_pool.List()));
    }

    public Task<PlatformResult<FunctionInfo>> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_pool.Delete(name));
    }

    public Task<Invocation> InvokeAsync(string name, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _pool.InvokeAsync(name, parameters, cancellationToken);
    }

    /// <summary>Stops every instance; invocations still waiting or running are answered <see cref="PlatformErrorCode.Unavailable"/>.</summary>
    public ValueTask DisposeAsync() => _pool.DisposeAsync();

    private static Task<PlatformResult<FunctionInfo>> Failed(PlatformErrorCode code, string message) =>
        Task.FromResult(PlatformResult<FunctionInfo>.Failure(code, message));

    /// <summary>32 lowercase hex digits, as OpenWhisk's activation ids.</summary>
    private static string NewId(Func<byte[]> source)
    {
        var bytes = source();
        if (bytes is not { Length: 16 })
        {
            throw new InvalidOperationException("The id source must return 16 bytes.");
        }

        return Convert.ToHexStringLower(bytes);
    }
}
