using System.Security.Cryptography;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Runtime.Trusted.Inference;
using Sesemi.Runtime.Trusted.Keys;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;

namespace Sesemi.Runtime.Trusted.Requests;

/// <summary>
/// Decrypt → infer → encrypt, inside the core. Keys come from the KeyService (cached per lease), the sealed model
/// through the host (decrypted here and loaded into ONNX Runtime, cached under a memory budget), and the input and
/// output are envelopes under the user's request key, bound to (user, model, request id) and to the direction.
/// At most <see cref="TrustedCoreOptions.MaxConcurrentRequests"/> run at once and a bounded number wait; beyond that a
/// request is refused as busy at once.
/// </summary>
internal sealed class InferenceService(IEnclaveHost host, KeyServices keys, ModelCache models, TrustedCoreOptions options, TimeProvider time) : IDisposable
{
    private const int MaxRequestIdLength = 128;
    private readonly SemaphoreSlim _running = new(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
    private int _waiting;

    public async Task<InferenceOutcome> RunAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var timing = new TimingBuilder(time);
        if (Interlocked.Increment(ref _waiting) > options.MaxConcurrentRequests + options.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _waiting);
            return timing.Fail(InferenceErrors.Busy, "the instance is at its concurrency limit and its queue is full; retry", started);
        }

        try
        {
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await RunAdmittedAsync(request, timing, started, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _running.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private async Task<InferenceOutcome> RunAdmittedAsync(InferenceRequest request, TimingBuilder timing, long started, CancellationToken cancellationToken)
    {
        if (!PrincipalId.TryParse(request.User, out var user))
        {
            return timing.Fail(InferenceErrors.InvalidUser, "user must be a principal id (64 lowercase hex)", started);
        }

        if (!ModelId.TryParse(request.Model, out var model))
        {
            return timing.Fail(InferenceErrors.InvalidModel, "model must be '<owner id>/<name>'", started);
        }

        if (request.RequestId is not { Length: > 0 and <= MaxRequestIdLength } || request.RequestId.Any(char.IsControl))
        {
            return timing.Fail(InferenceErrors.InvalidRequestId, $"requestId must be 1-{MaxRequestIdLength} printable characters", started);
        }

        if (request.SealedInput.Length > options.MaxRequestBytes)
        {
            return timing.Fail(InferenceErrors.TooLarge, $"the sealed input is larger than {options.MaxRequestBytes} bytes", started);
        }

        var stage = time.GetTimestamp();
        var (hold, keyError, keyMessage, fetched) = await keys.AcquireWithFreshnessAsync(request.KeyService, user, model, cancellationToken).ConfigureAwait(false);
        timing.Keys(stage, fetched);
        if (hold is not { } keyHold)
        {
            return timing.Fail(keyError!, keyMessage!, started);
        }

        using (keyHold)
        {
            var loaded = false;
            var lease = await models.GetOrLoadAsync(
                model.Value,
                ct =>
                {
                    loaded = true;
                    return LoadAsync(model, keyHold.Keys, timing, ct);
                },
                cancellationToken).ConfigureAwait(false);
            timing.ColdModel = loaded;
            if (!lease.IsOk)
            {
                return timing.Fail(lease.Error.Code, lease.Error.Message, started);
            }

            using var modelLease = lease.Value!;
            return Infer(request, user, model, keyHold.Keys, modelLease.Model, timing, started, cancellationToken);
        }
    }

    private InferenceOutcome Infer(InferenceRequest request, PrincipalId user, ModelId model, ReleasedKeys keys, LoadedModel loaded, TimingBuilder timing, long started, CancellationToken cancellationToken)
    {
        var input = request.SealedInput.Span;
        if (!Envelope.TryReadKeyId(input, out var keyId))
        {
            return timing.Fail(EnvelopeError.Malformed.Code(), "the input is not an envelope", started);
        }

        if (keys.RequestKey(keyId) is not { } requestKey)
        {
            return timing.Fail(InferenceErrors.RequestKeyNotReleased, "the input is sealed under a request key the KeyService did not release for this user, model and runtime", started);
        }

        var stage = time.GetTimestamp();
        var opened = Envelope.TryOpen(requestKey, input, InferenceContexts.Request(user, model, request.RequestId), out var plaintext);
        timing.InputDecryptMs = time.GetElapsedTime(stage).TotalMilliseconds;
        if (opened != EnvelopeError.None)
        {
            return timing.Fail(opened.Code(), "the input envelope does not open for this user, model and request id", started);
        }

        byte[]? outputs = null;
        try
        {
            stage = time.GetTimestamp();
            var result = loaded.RunEncoded(plaintext, null, cancellationToken);
            timing.InferenceMs = time.GetElapsedTime(stage).TotalMilliseconds;
            if (!result.IsOk)
            {
                return timing.Fail(result.Error.Code, result.Error.Message, started);
            }

            outputs = result.Value!;
            stage = time.GetTimestamp();
            var sealedOutput = Envelope.Seal(requestKey, outputs, InferenceContexts.Response(user, model, request.RequestId));
            timing.OutputEncryptMs = time.GetElapsedTime(stage).TotalMilliseconds;
            return new InferenceOutcome(sealedOutput, null, null, timing.Build(started));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            if (outputs is not null)
            {
                CryptographicOperations.ZeroMemory(outputs);
            }
        }
    }

    private async Task<InferenceResult<LoadedModel>> LoadAsync(ModelId model, ReleasedKeys keys, TimingBuilder timing, CancellationToken cancellationToken)
    {
        var stage = time.GetTimestamp();
        MemoryStream sealedModel;
        await using (var source = await host.OpenModelAsync(model, cancellationToken).ConfigureAwait(false))
        {
            if (source is null)
            {
                return InferenceResult<LoadedModel>.Fail(InferenceErrors.ModelNotFound, $"the model store has no model {model}");
            }

            // Sized up front when the store knows the length: growing by doubling left about twice the sealed model in
            // large-object garbage after every load (seen as a resident-memory peak in the concurrency benchmark).
            sealedModel = source.CanSeek && source.Length is > 0 and <= int.MaxValue ? new MemoryStream((int)source.Length) : new MemoryStream();
            await source.CopyToAsync(sealedModel, cancellationToken).ConfigureAwait(false);
        }

        using var sealedBuffer = sealedModel;

        timing.ModelFetchMs = time.GetElapsedTime(stage).TotalMilliseconds;
        var header = sealedModel.GetBuffer().AsSpan(0, (int)sealedModel.Length);
        if (!Envelope.TryReadKeyId(header, out var keyId) || StreamEnvelope.TryReadPlaintextLength(header, out var length) != EnvelopeError.None)
        {
            return InferenceResult<LoadedModel>.Fail(InferenceErrors.ModelCorrupt, $"the stored model {model} is not a sealed model");
        }

        if (length > options.MaxModelBytes)
        {
            return InferenceResult<LoadedModel>.Fail(InferenceErrors.ModelCorrupt, $"the stored model {model} is larger than {options.MaxModelBytes} bytes");
        }

        if (keys.ModelKey(keyId) is not { } modelKey)
        {
            return InferenceResult<LoadedModel>.Fail(InferenceErrors.ModelKeyNotReleased, $"model {model} is sealed under a key version the KeyService did not release (retired, or not yet uploaded)");
        }

        stage = time.GetTimestamp();
        var plaintext = GC.AllocateUninitializedArray<byte>((int)length);
        try
        {
            sealedModel.Position = 0;
            using (var destination = new MemoryStream(plaintext, writable: true))
            {
                await StreamEnvelope.OpenAsync(modelKey, sealedModel, destination, InferenceContexts.Model(model), length, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (EnvelopeException e)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return InferenceResult<LoadedModel>.Fail(InferenceErrors.ModelCorrupt, $"the stored model {model} does not open ({e.Error.Code()})");
        }

        timing.ModelDecryptMs = time.GetElapsedTime(stage).TotalMilliseconds;
        stage = time.GetTimestamp();
        var created = LoadedModel.Create(plaintext, options.Models);
        timing.SessionCreateMs = time.GetElapsedTime(stage).TotalMilliseconds;
        CryptographicOperations.ZeroMemory(plaintext);
        return created;
    }

    public void Dispose() => _running.Dispose();

    /// <summary>Collects stage times of one request.</summary>
    private sealed class TimingBuilder(TimeProvider time)
    {
        public bool ColdKeys { get; private set; }

        public bool ColdModel { get; set; }

        public double KeysMs { get; private set; }

        public double ModelFetchMs { get; set; }

        public double ModelDecryptMs { get; set; }

        public double SessionCreateMs { get; set; }

        public double InputDecryptMs { get; set; }

        public double InferenceMs { get; set; }

        public double OutputEncryptMs { get; set; }

        public void Keys(long stage, bool fetched)
        {
            KeysMs = time.GetElapsedTime(stage).TotalMilliseconds;
            ColdKeys = fetched;
        }

        public InferenceTiming Build(long started) => new(
            ColdKeys, ColdModel, KeysMs, ModelFetchMs, ModelDecryptMs, SessionCreateMs, InputDecryptMs, InferenceMs, OutputEncryptMs,
            time.GetElapsedTime(started).TotalMilliseconds);

        public InferenceOutcome Fail(string code, string message, long started) => new(null, code, message, Build(started));
    }
}
