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
/// </summary>
internal sealed class ProcessInstanceLauncher(TimeProvider time, ILogger logger) : IInstanceLauncher
{
    private const int Attempts = 3;

    public async Task<LaunchResult> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(request.StartTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var exited = "it exited";
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var instance = new ProcessInstance(request.InstanceId, LoopbackPorts.Reserve(), time, logger);
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

            switch (init.Result)
            {
                case InitResult.Ready:
                    return LaunchResult.Started(instance);
                case InitResult.Refused:
                    await instance.DisposeAsync();
                    return LaunchResult.Failed($"The action failed during initialization: {init.Error}");
                default:
                    await instance.Exited;
                    exited = instance.ExitDescription;
                    LocalPlatformLog.ExitedBeforeInit(logger, request.InstanceId, attempt, exited);
                    await instance.DisposeAsync();
                    break;
            }
        }

        return LaunchResult.Failed(string.Create(CultureInfo.InvariantCulture, $"The action did not initialize and exited unexpectedly ({exited}; tried {Attempts} times)."));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
