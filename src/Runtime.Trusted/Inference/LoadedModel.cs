using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sesemi.Security.Tensors;

namespace Sesemi.Runtime.Trusted.Inference;

/// <summary>
/// One model ready to run: an ONNX Runtime session made from plaintext model bytes, its <see cref="Signature"/> and
/// its approximate memory size. Runs may be concurrent (ONNX Runtime allows concurrent <c>Run</c> on one session).
/// The session is reference-counted: the creator holds one reference (released by <see cref="Dispose"/>), every
/// <see cref="ModelLease"/> and every run in progress holds one, and the session is disposed when the last is
/// released — so an evicted model finishes its in-flight runs first.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    private static readonly byte[] EmptyData = GC.AllocateArray<byte>(16, pinned: true);

    private readonly InferenceSession _session;
    private readonly string[] _outputNames;
    private int _references = 1;
    private int _ownerReleased;

    private LoadedModel(InferenceSession session, ModelSignature signature, long sizeBytes)
    {
        _session = session;
        Signature = signature;
        SizeBytes = sizeBytes;
        _outputNames = [.. signature.Outputs.Select(o => o.Name)];
    }

    public ModelSignature Signature { get; }

    /// <summary>The memory this model is charged for: the size of its plaintext model bytes (an estimate; ONNX
    /// Runtime's working set is typically 2–4× that).</summary>
    public long SizeBytes { get; }

    /// <summary>True once the last reference is gone and the session has been disposed.</summary>
    public bool IsClosed => Volatile.Read(ref _references) == 0;

    /// <summary>
    /// Creates a session from <paramref name="modelBytes"/> (an ONNX model in memory, never a file) and then zeroes
    /// <paramref name="modelBytes"/>, whatever the outcome: ONNX Runtime parses and copies the bytes while the
    /// session is created and keeps no reference to the array (<c>session.use_ort_model_bytes_directly</c> is set
    /// to 0; it would apply only to the ORT flatbuffer format anyway). A model with a tensor whose data ONNX would
    /// read from a file fails with <c>model.external_data</c> before ONNX Runtime sees it (see
    /// <see cref="OnnxModelScanner"/>); a model ONNX Runtime refuses fails with <c>model.invalid</c>; one with
    /// non-tensor or unsupported inputs or outputs with <c>model.unsupported_input</c> or
    /// <c>model.unsupported_output</c>.
    /// </summary>
    public static InferenceResult<LoadedModel> Create(byte[] modelBytes, ModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        options ??= ModelOptions.Default;
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid model options: " + string.Join(" ", errors), nameof(options));
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Tensor data is little-endian; this platform is not.");
        }

        var sizeBytes = modelBytes.LongLength;
        InferenceSession session;
        try
        {
            switch (OnnxModelScanner.Scan(modelBytes))
            {
                case OnnxScanResult.ExternalData:
                    return InferenceResult<LoadedModel>.Fail(InferenceErrorCodes.ModelExternalData, "the model refers to external data files; models are loaded from memory only");
                case OnnxScanResult.Malformed:
                    return InferenceResult<LoadedModel>.Fail(InferenceErrorCodes.ModelInvalid, "the model is not a well-formed ONNX protobuf");
            }

            using var sessionOptions = CreateSessionOptions(options);
            session = new InferenceSession(modelBytes, sessionOptions);
        }
        catch (OnnxRuntimeException)
        {
            // ONNX Runtime's message may quote the model's node and tensor names, which belong to the owner.
            return InferenceResult<LoadedModel>.Fail(InferenceErrorCodes.ModelInvalid, "ONNX Runtime refused the model");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(modelBytes);
        }

        var signature = ModelSignature.FromSession(session, options);
        if (!signature.IsOk)
        {
            session.Dispose();
            return InferenceResult<LoadedModel>.Fail(signature.Error);
        }

        return InferenceResult<LoadedModel>.Ok(new LoadedModel(session, signature.Value, sizeBytes));
    }

    /// <summary>
    /// Validates <paramref name="inputs"/> against the <see cref="Signature"/> (<c>input.*</c> codes), runs the model
    /// and returns every output, copied out of ONNX Runtime's memory, in the signature's order. A failure inside ONNX
    /// Runtime is <c>model.run_failed</c>. Cancelling <paramref name="cancellationToken"/> terminates the run and
    /// throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The model's session is already closed (a lease or the owner's
    /// reference keeps it open).</exception>
    public InferenceResult<IReadOnlyList<NamedTensor>> Run(IReadOnlyList<NamedTensor> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        var invalid = InputValidator.Validate(Signature, inputs);
        if (invalid is not null)
        {
            return InferenceResult<IReadOnlyList<NamedTensor>>.Fail(invalid);
        }

        ObjectDisposedException.ThrowIf(!TryAddReference(), this);
        try
        {
            return RunValidated(inputs, cancellationToken);
        }
        finally
        {
            ReleaseReference();
        }
    }

    /// <summary>
    /// The whole plaintext step of a request: decodes an STN1 tensor set (<c>tensor.*</c> codes), runs the model
    /// and returns the STN1 encoding of its outputs. Intermediate output copies are zeroed.
    /// </summary>
    public InferenceResult<byte[]> RunEncoded(ReadOnlyMemory<byte> request, TensorCodecLimits? limits, CancellationToken cancellationToken)
    {
        var decoded = TensorCodec.Decode(request, limits);
        if (!decoded.IsOk)
        {
            return InferenceResult<byte[]>.Fail(decoded.Error);
        }

        var outputs = Run(decoded.Value, cancellationToken);
        if (!outputs.IsOk)
        {
            return InferenceResult<byte[]>.Fail(outputs.Error);
        }

        try
        {
            return InferenceResult<byte[]>.Ok(TensorCodec.Encode(outputs.Value));
        }
        finally
        {
            foreach (var output in outputs.Value)
            {
                if (MemoryMarshal.TryGetArray(output.Data, out var segment))
                {
                    CryptographicOperations.ZeroMemory(segment.AsSpan());
                }
            }
        }
    }

    /// <summary>A new reference that keeps the session open until the lease is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The session is already closed.</exception>
    public ModelLease Lease()
    {
        ObjectDisposedException.ThrowIf(!TryAddReference(), this);
        return new ModelLease(this);
    }

    /// <summary>Releases the creator's reference (once); the session closes when no lease or run holds it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ownerReleased, 1) == 0)
        {
            ReleaseReference();
        }
    }

    /// <summary>Adds <paramref name="count"/> references to a model the caller knows to be open (it holds one).</summary>
    internal void AddReferences(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (Interlocked.Add(ref _references, count) <= count)
        {
            throw new InvalidOperationException("References were added to a closed model.");
        }
    }

    internal bool TryAddReference()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    internal void ReleaseReference()
    {
        var remaining = Interlocked.Decrement(ref _references);
        if (remaining == 0)
        {
            _session.Dispose();
        }
        else if (remaining < 0)
        {
            throw new InvalidOperationException("A model reference was released twice.");
        }
    }

    private static SessionOptions CreateSessionOptions(ModelOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            EnableProfiling = false,

            // ONNX Runtime logs through the host's console; its lines can quote the owner's node names.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        };
        try
        {
            // Parse and copy the model; never alias the caller's (soon zeroed) buffer.
            sessionOptions.AddSessionConfigEntry("session.use_ort_model_bytes_directly", "0");

            // Concurrent runs on few cores: waiting threads sleep rather than spin (research note §3.1).
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    private InferenceResult<IReadOnlyList<NamedTensor>> RunValidated(IReadOnlyList<NamedTensor> inputs, CancellationToken cancellationToken)
    {
        var count = Signature.Inputs.Length;
        var names = new string[count];
        var values = new OrtValue[count];
        var pins = new GCHandle[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                var spec = Signature.Inputs[i];
                var tensor = inputs.First(t => string.Equals(t.Name, spec.Name, StringComparison.Ordinal));
                names[i] = spec.Name;
                values[i] = Pin(tensor, out pins[i]);
            }

            using var runOptions = new RunOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            IDisposableReadOnlyCollection<OrtValue> results;
            try
            {
                results = _session.Run(runOptions, names, values, _outputNames);
            }
            catch (OnnxRuntimeException terminated) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The run was terminated.", terminated, cancellationToken);
            }
            catch (OnnxRuntimeException)
            {
                return InferenceResult<IReadOnlyList<NamedTensor>>.Fail(InferenceErrorCodes.ModelRunFailed, "ONNX Runtime failed to run the model on these inputs");
            }

            using (results)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var outputs = new List<NamedTensor>(results.Count);
                var index = 0;
                foreach (var result in results)
                {
                    var name = _outputNames[index++];
                    var output = CopyOut(name, result);
                    if (output is null)
                    {
                        return InferenceResult<IReadOnlyList<NamedTensor>>.Fail(InferenceErrorCodes.ModelRunFailed, $"model output '{name}' is not a tensor of a supported element type");
                    }

                    outputs.Add(output);
                }

                return InferenceResult<IReadOnlyList<NamedTensor>>.Ok(outputs);
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                values[i]?.Dispose();
                if (pins[i].IsAllocated)
                {
                    pins[i].Free();
                }
            }
        }
    }

    /// <summary>An OrtValue over the tensor's own bytes (pinned, no copy).</summary>
    private static OrtValue Pin(NamedTensor tensor, out GCHandle pin)
    {
        byte[] array;
        int offset;
        if (tensor.Data.Length == 0)
        {
            // ONNX Runtime wants a valid pointer even for an empty tensor; this array is pinned for the process.
            (array, offset) = (EmptyData, 0);
        }
        else if (MemoryMarshal.TryGetArray(tensor.Data, out var segment))
        {
            (array, offset) = (segment.Array!, segment.Offset);
        }
        else
        {
            (array, offset) = (tensor.Data.ToArray(), 0);
        }

        pin = GCHandle.Alloc(array, GCHandleType.Pinned);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(array, offset);
        return OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance,
            (TensorElementType)tensor.Type,
            [.. tensor.Shape],
            address,
            tensor.Data.Length);
    }

    private static NamedTensor? CopyOut(string name, OrtValue value)
    {
        if (!value.IsTensor)
        {
            return null;
        }

        var info = value.GetTensorTypeAndShape();
        if (!TensorDataTypes.IsSupported((int)info.ElementDataType))
        {
            return null;
        }

        var data = value.GetTensorDataAsSpan<byte>().ToArray();
        return new NamedTensor(name, (TensorDataType)info.ElementDataType, ImmutableArray.Create(info.Shape), data);
    }

    /// <summary>For messages: the signature only.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"model ({SizeBytes} bytes; in: {string.Join("; ", Signature.Inputs)}; out: {string.Join("; ", Signature.Outputs)})");
}

/// <summary>A reference to a <see cref="LoadedModel"/> that keeps its session open until disposed (idempotent).</summary>
internal sealed class ModelLease : IDisposable
{
    private LoadedModel? _model;

    internal ModelLease(LoadedModel model) => _model = model;

    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public LoadedModel Model => _model ?? throw new ObjectDisposedException(nameof(ModelLease));

    public void Dispose() => Interlocked.Exchange(ref _model, null)?.ReleaseReference();
}
