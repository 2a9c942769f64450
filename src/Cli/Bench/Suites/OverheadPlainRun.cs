using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Cli.Workloads;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// Plain ONNX Runtime on one model and input: the inputs are made into <see cref="OrtValue"/>s once, and each
/// <see cref="Once"/> times one <c>Run</c> until its outputs are released.
/// </summary>
internal sealed class OverheadPlainRun : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _names;
    private readonly string[] _outputs;
    private readonly List<OrtValue> _values;

    public OverheadPlainRun(InferenceSession session, IReadOnlyList<NamedTensor> inputs)
    {
        _session = session;
        _names = [.. inputs.Select(t => t.Name)];
        _outputs = [.. session.OutputNames];
        _values = [.. inputs.Select(RealModelWorkload.ToOrtValue)];
    }

    /// <summary>One run; milliseconds from the call until its outputs are released.</summary>
    public double Once()
    {
        var started = Stopwatch.GetTimestamp();
        using (_session.Run(_runOptions, _names, _values, _outputs))
        {
        }

        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    public void Dispose()
    {
        foreach (var value in _values)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
    }
}
