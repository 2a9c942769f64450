using System.Collections.Concurrent;
using System.Diagnostics;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.RaTls;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// The real <c>sesemi keyservice serve</c> from this build's output, as a child process on 127.0.0.1:0 with a data
/// directory and a simulated platform file in it. Its output is drained continuously (and kept for failure messages).
/// Disposing kills it if it still runs.
/// </summary>
internal sealed class KeyServiceProcess : IAsyncDisposable
{
    private const string ListeningPrefix = "KeyService listening on ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private KeyServiceProcess(Process process, ConcurrentQueue<string> output, Uri url, KeyServiceProfile profile)
    {
        _process = process;
        _output = output;
        Url = url;
        Profile = profile;
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "sesemi.exe" : "sesemi");

    public Uri Url { get; }

    /// <summary>The connection profile the process wrote to its data directory.</summary>
    public KeyServiceProfile Profile { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts the KeyService and waits (bounded) until it prints the address it listens on.</summary>
    public static async Task<KeyServiceProcess> StartAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        Assert.True(File.Exists(Executable), $"the CLI apphost is missing at {Executable}");
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "keyservice", "serve", "--port", "0", "--data", dataDirectory, "--platform", Path.Combine(dataDirectory, "platform.pem") })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        var output = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.StartsWith(ListeningPrefix, StringComparison.Ordinal))
            {
                listening.TrySetResult(e.Data[ListeningPrefix.Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Enqueue("stderr: " + e.Data);
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("the KeyService exited before listening"));

        Directory.CreateDirectory(dataDirectory);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var url = await listening.Task.WaitAsync(StartTimeout, cancellationToken);
            var profile = KeyServiceProfiles.Load(Path.Combine(dataDirectory, KeyServiceServer.ProfileFileName));
            Assert.Equal(new Uri(url), new Uri(profile.Url));
            return new KeyServiceProcess(process, output, new Uri(url), profile);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            Kill(process);
            process.Dispose();
            throw new InvalidOperationException($"sesemi keyservice serve did not start: {e.Message}{Environment.NewLine}{string.Join(Environment.NewLine, output)}", e);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The client check of this KeyService's certificate, from its connection profile only.</summary>
    public TlsPeerValidator ServerValidator(TimeProvider time) =>
        new(
            new RaTlsVerifier(new EvidenceVerifier([new SimulatedEvidenceVerifier(Profile.SimulatedRootPins)], time)),
            AttestationPolicy.SimulationFor(Measurement.Parse(Profile.Measurement)),
            TlsPeerKinds.Attested);

    /// <summary>SIGKILL: no shutdown code runs, in-flight requests are cut.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        Kill(_process);
        await _process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }
}
