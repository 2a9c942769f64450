using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Sesemi.Models;
using Sesemi.Models.Text;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Workloads;

/// <summary>
/// The inputs the demo and the benchmarks send to each real model, and plain ONNX Runtime on the same inputs with the
/// session settings the trusted core uses, so a decrypted output can be compared with it bit for bit.
/// </summary>
internal static class RealModelWorkload
{
    /// <summary>A deterministic synthetic input for an image model: a smooth pattern in the model's input range.</summary>
    public static IReadOnlyList<NamedTensor> SyntheticImage(RealModel model)
    {
        if (model == RealModels.ResNet18)
        {
            var pixels = new float[3 * 224 * 224];
            for (var i = 0; i < pixels.Length; i++)
            {
                pixels[i] = (i % 251) / 251f;
            }

            return [NamedTensor.Create<float>(model.Inputs[0].Name, TensorDataType.Float32, [1, 3, 224, 224], pixels)];
        }

        if (model == RealModels.MobileNet)
        {
            var shape = RealModels.MobileNetInputShape.ToArray();
            var line = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < line.Length; i++)
            {
                line[i] = ((i % 251) / 125.5f) - 1f; // the classifier's normalized range [-1, 1]
            }

            return [NamedTensor.Create<float>(model.Inputs[0].Name, TensorDataType.Float32, shape, line)];
        }

        throw new ArgumentException($"{model.Name} is not an image model.", nameof(model));
    }

    /// <summary>The MiniLM inputs of one tokenized sentence.</summary>
    public static IReadOnlyList<NamedTensor> Sentence(BertTokenizer tokenizer, string sentence)
    {
        var encoding = tokenizer.Encode(sentence);
        long[] shape = [1, encoding.InputIds.Length];
        return
        [
            NamedTensor.Create<long>("input_ids", TensorDataType.Int64, shape, encoding.InputIds),
            NamedTensor.Create<long>("attention_mask", TensorDataType.Int64, shape, encoding.AttentionMask),
            NamedTensor.Create<long>("token_type_ids", TensorDataType.Int64, shape, encoding.TokenTypeIds),
        ];
    }

    /// <summary>The input of the benchmarks for any real model (MiniLM: one fixed sentence).</summary>
    public static async Task<IReadOnlyList<NamedTensor>> DefaultInputsAsync(RealModel model, CancellationToken cancellationToken) =>
        model == RealModels.MiniLm
            ? Sentence(await BertTokenizer.LoadAsync(model, cancellationToken: cancellationToken), "A man is eating food.")
            : SyntheticImage(model);

    /// <summary>A plain ONNX Runtime session with the trusted core's settings (1 intra-op thread, sequential, all optimizations).</summary>
    public static InferenceSession PlainSession(byte[] model)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(model, options);
    }

    /// <summary>Runs plain ONNX Runtime on the inputs and returns every output as raw little-endian bytes by name.</summary>
    public static IReadOnlyDictionary<string, byte[]> RunPlain(InferenceSession session, IReadOnlyList<NamedTensor> inputs)
    {
        var values = inputs.Select(ToOrtValue).ToList();
        try
        {
            using var runOptions = new RunOptions();
            var outputs = session.OutputNames.ToArray();
            using var results = session.Run(runOptions, [.. inputs.Select(t => t.Name)], values, outputs);
            var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (var i = 0; i < outputs.Length; i++)
            {
                bytes[outputs[i]] = results[i].GetTensorTypeAndShape().ElementDataType switch
                {
                    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => MemoryMarshal.AsBytes(results[i].GetTensorDataAsSpan<float>()).ToArray(),
                    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 => MemoryMarshal.AsBytes(results[i].GetTensorDataAsSpan<long>()).ToArray(),
                    var other => throw new NotSupportedException($"Output element type {other} is not compared."),
                };
            }

            return bytes;
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>An ONNX Runtime value over a copy of the tensor's data.</summary>
    public static OrtValue ToOrtValue(NamedTensor tensor) => tensor.Type switch
    {
        TensorDataType.Float32 => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, float>(tensor.Data.Span).ToArray(), [.. tensor.Shape]),
        TensorDataType.Int64 => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, long>(tensor.Data.Span).ToArray(), [.. tensor.Shape]),
        _ => throw new NotSupportedException(tensor.Type.ToString()),
    };
}
