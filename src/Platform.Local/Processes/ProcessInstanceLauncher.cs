using System.Collections.Concurrent;
using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Logging;

namespace Sesemi.Platform.Local.Processes;

/// <summary>
/// Starts instances as processes on free loopback ports and initializes them. A process that exits before answering
/// <c>/init</c> is tried again on a new port (the port may have been taken in between), up to three times, all within
/// the start timeout. Failures come back in OpenWhisk's words (<c>ErrorResponse.scala</c> <c>Messages</c>).
/// Every process it starts is stopped: by whoever owns the instance, by the launcher itself when the start fails in any
/// way, and at the latest when the launcher is disposed (the platform stops), so no runtime process outlives the platform.
/// </summary>
internal sealed class ProcessInstanceLauncher(TimeProvider time, ILogger logger) : IInstanceLauncher
{
    private const int Attempts = 3;
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<ProcessInstance, byte> _started = new();
    private volatile bool _disposed;

    public async Task<LaunchResult> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(request.StartTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var exited = "it exited";
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            if (_disposed)
            {
                return LaunchResult.Failed("The platform stopped before the action could start.");
            }

            var instance = new ProcessInstance(request.InstanceId, LoopbackPorts.Reserve(), time, logger, disposed => _started.TryRemove(disposed, out _));
            _started[instance] = 0;
            try
            {
                instance.Start(request.Image);
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException or PlatformNotSupportedException)
            {
                await instance.DisposeAsync();
                return LaunchResult.Failed($"Failed to provision resources to run the action: '{request.Image.FileName}' could not be started ({e.Message}).");
            }

            (InitResult Result, string? Error) init;
            try
            {
                init = await instance.InitializeAsync(request.Function.Name, linked.Token);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                await instance.DisposeAsync();
                cancellationToken.ThrowIfCancellationRequested();
                return LaunchResult.Failed(string.Create(CultureInfo.InvariantCulture, $"The action exceeded its time limits of {(long)request.StartTimeout.TotalMilliseconds} milliseconds during initialization (the local platform's start timeout)."));
            }
#pragma warning disable CA1031 // Any other failure of /init must still stop the process; it is reported as a start failure.
            catch (Exception e)
#pragma warning restore CA1031
            {
                await instance.DisposeAsync();
                return LaunchResult.Failed($"The action failed during initialization ({e.GetType().Name}).");
            }

            switch (init.Result)
            {
                case InitResult.Ready:
                    return LaunchResult.Started(instance);
                case InitResult.Refused:
                    await instance.DisposeAsync();
                    return LaunchResult.Failed($"The action failed during initialization: {init.Error}");
                default:
                    try
                    {
                        await instance.Exited.WaitAsync(ExitWait, CancellationToken.None);
                    }
                    catch (TimeoutException)
                    {
                        // Exited, but its output streams are still open (a child holds them): dispose kills the tree.
                    }

                    exited = instance.ExitDescription;
                    LocalPlatformLog.ExitedBeforeInit(logger, request.InstanceId, attempt, exited);
                    await instance.DisposeAsync();
                    break;
            }
        }

        return LaunchResult.Failed(string.Create(CultureInfo.InvariantCulture, $"The action did not initialize and exited unexpectedly ({exited}; tried {Attempts} times)."));
    }

    /// <summary>Stops every process this launcher started that nobody has stopped yet.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var instance in _started.Keys)
        {
            await instance.DisposeAsync();
        }
    }
}
