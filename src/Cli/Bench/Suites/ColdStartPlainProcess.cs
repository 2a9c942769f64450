using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sesemi.Cli.Workloads;
using Sesemi.Platform.Local;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// The cold-start baseline: a plain process that loads a plaintext ONNX file with ONNX Runtime and runs it once on an
/// input, with no keys, no encryption and no platform. It is this executable again, with the hidden options
/// <c>sesemi bench coldstart --plain-once MODEL --plain-input STN1-FILE --plain-spawned TIMESTAMP</c>: the option's own
/// action runs instead of the suite, prints one line of its stage times, and exits. The parent passes the
/// <see cref="Stopwatch"/> timestamp taken just before it started the process (the monotonic clock is shared by all
/// processes on the machine), so the child can tell how long its start took.
/// </summary>
internal sealed class ColdStartPlainProcess : SynchronousCommandLineAction
{
    public ColdStartPlainProcess() => Model.Action = this;

    public Option<string?> Model { get; } = new("--plain-once") { Hidden = true, Description = "Internal: load this plaintext ONNX model, run it once and print the stage times." };

    public Option<string?> Input { get; } = new("--plain-input") { Hidden = true, Description = "Internal: the STN1 file of the input tensors for --plain-once." };

    public Option<long?> Spawned { get; } = new("--plain-spawned") { Hidden = true, Description = "Internal: the parent's Stopwatch timestamp just before it started this process." };

    public IReadOnlyList<Option> Options => [Model, Input, Spawned];

    /// <summary>The stage times a plain process reports, in milliseconds.</summary>
    /// <param name="StartMs">Process start to this action: the OS, the .NET runtime, the executable's start and its command-line parsing.</param>
    /// <param name="ReadMs">Reading the model file and the input file.</param>
    /// <param name="SessionMs">Creating the ONNX Runtime session (the native library loads on the first one).</param>
    /// <param name="RunMs">The first run, its inputs made into ONNX Runtime values included.</param>
    internal sealed record Stages(double StartMs, double ReadMs, double SessionMs, double RunMs);

    public override int Invoke(ParseResult parseResult)
    {
        var entered = Stopwatch.GetTimestamp();
        var modelFile = parseResult.GetValue(Model)!;
        var inputFile = parseResult.GetValue(Input) ?? throw new InvalidOperationException("--plain-input is required with --plain-once.");
        var spawned = parseResult.GetValue(Spawned) ?? entered;

        var stage = Stopwatch.GetTimestamp();
        var model = File.ReadAllBytes(modelFile);
        var decoded = TensorCodec.Decode(File.ReadAllBytes(inputFile));
        var inputs = decoded.IsOk ? decoded.Value : throw new InvalidOperationException($"{inputFile} is not an STN1 tensor set: {decoded.Error.Code}.");
        var read = Stopwatch.GetElapsedTime(stage);

        stage = Stopwatch.GetTimestamp();
        using var session = RealModelWorkload.PlainSession(model);
        var created = Stopwatch.GetElapsedTime(stage);

        stage = Stopwatch.GetTimestamp();
        var outputs = RealModelWorkload.RunPlain(session, inputs);
        var ran = Stopwatch.GetElapsedTime(stage);
        if (outputs.Count == 0)
        {
            throw new InvalidOperationException("The model gave no outputs.");
        }

        var stages = new Stages(Stopwatch.GetElapsedTime(spawned, entered).TotalMilliseconds, read.TotalMilliseconds, created.TotalMilliseconds, ran.TotalMilliseconds);
        Console.Out.WriteLine(string.Join(' ', new[] { stages.StartMs, stages.ReadMs, stages.SessionMs, stages.RunMs }.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        Console.Out.Flush();
        return 0;
    }

    /// <summary>
    /// Starts a plain process on <paramref name="modelFile"/> and <paramref name="inputFile"/> with the runtime image's
    /// program and environment (so both kinds of process start alike) and returns its stages and the time from just
    /// before the start to its answer read.
    /// </summary>
    public static async Task<(Stages Stages, TimeSpan Total)> RunAsync(LocalImage runtimeImage, string modelFile, string inputFile, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(runtimeImage.FileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };

        // The image runs "<program> [dll] runtime serve …": keep what comes before "runtime".
        foreach (var argument in runtimeImage.Arguments.TakeWhile(a => !string.Equals(a, "runtime", StringComparison.Ordinal)))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in runtimeImage.Environment)
        {
            start.Environment[name] = value;
        }

        foreach (var argument in (string[])["bench", "coldstart", "--plain-once", modelFile, "--plain-input", inputFile, "--plain-spawned"])
        {
            start.ArgumentList.Add(argument);
        }

        var spawned = Stopwatch.GetTimestamp();
        start.ArgumentList.Add(spawned.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"'{start.FileName}' did not start.");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        var line = await process.StandardOutput.ReadLineAsync(cancellationToken);
        var total = Stopwatch.GetElapsedTime(spawned);
        await process.WaitForExitAsync(cancellationToken);
        var values = line?.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        if (process.ExitCode != 0 || values is not { Length: 4 })
        {
            throw new InvalidOperationException($"The plain process failed (exit {process.ExitCode}): {(await errors).Trim()}");
        }

        return (new Stages(values[0], values[1], values[2], values[3]), total);
    }
}
