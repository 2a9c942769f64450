using System.Globalization;

namespace Sesemi.Runtime.Trusted.Inference;

/// <summary>What a <see cref="ModelCache"/> has done since it was created.</summary>
/// <param name="Hits">Requests served by a model already loaded.</param>
/// <param name="Misses">Requests that found no loaded model (they started a load or joined one in progress).</param>
/// <param name="Loads">Loader calls (one per single-flight load).</param>
/// <param name="LoadFailures">Loads whose loader returned an error or threw.</param>
/// <param name="Evictions">Models dropped to make room (least recently used first) or removed on request.</param>
/// <param name="Refusals">Loaded models refused because they are larger than the whole budget.</param>
internal readonly record struct ModelCacheCounters(long Hits, long Misses, long Loads, long LoadFailures, long Evictions, long Refusals);

/// <summary>
/// The models a runtime instance keeps loaded, keyed by a string (for example "model id@key version" or the model's
/// digest), within a memory budget in bytes (<see cref="LoadedModel.SizeBytes"/>). Callers get a
/// <see cref="ModelLease"/> that keeps the model open while they use it.
/// <list type="bullet">
/// <item>Single flight: concurrent first requests for a key share one call of the loader.</item>
/// <item>A failed load (an error value or an exception) fails every request waiting on it and leaves nothing behind;
/// the next request calls the loader again.</item>
/// <item>When a new model would exceed the budget, the least recently used models are evicted until it fits. An
/// evicted model leaves the cache and its budget at once, but its session closes only when its last lease is
/// disposed, so runs in progress finish (memory may exceed the budget until then).</item>
/// <item>A model larger than the whole budget is refused (<c>model.too_large</c>) and disposed.</item>
/// </list>
/// The loader runs with the cache's own cancellation token (cancelled when the cache is disposed), not the first
/// caller's: a caller that gives up stops waiting, but the load goes on for the others and is kept.
/// </summary>
internal sealed class ModelCache : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _ready = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private readonly Dictionary<string, PendingLoad> _loading = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private long _usedBytes;
    private long _hits;
    private long _misses;
    private long _loads;
    private long _loadFailures;
    private long _evictions;
    private long _refusals;
    private bool _disposed;

    public ModelCache(long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budgetBytes, 1);
        BudgetBytes = budgetBytes;
    }

    public long BudgetBytes { get; }

    /// <summary>The bytes charged for the models in the cache.</summary>
    public long UsedBytes
    {
        get
        {
            lock (_gate)
            {
                return _usedBytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ready.Count;
            }
        }
    }

    public ModelCacheCounters Counters
    {
        get
        {
            lock (_gate)
            {
                return new ModelCacheCounters(_hits, _misses, _loads, _loadFailures, _evictions, _refusals);
            }
        }
    }

    /// <summary>The keys of the loaded models, most recently used first.</summary>
    public IReadOnlyList<string> Keys
    {
        get
        {
            lock (_gate)
            {
                return [.. _recency.Select(e => e.Key)];
            }
        }
    }

    /// <summary>
    /// A lease on the model of <paramref name="key"/>, loading it with <paramref name="loader"/> when it is not
    /// loaded (or joining a load in progress). Fails with the loader's error, with <c>model.too_large</c>, or with
    /// <c>model.cache_closed</c> when the cache is disposed during the load. An exception thrown by the loader reaches
    /// every waiting caller. Cancelling <paramref name="cancellationToken"/> stops this caller's wait only.
    /// </summary>
    public async Task<InferenceResult<ModelLease>> GetOrLoadAsync(
        string key,
        Func<CancellationToken, Task<InferenceResult<LoadedModel>>> loader,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(loader);
        cancellationToken.ThrowIfCancellationRequested();

        PendingLoad pending;
        var start = false;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_ready.TryGetValue(key, out var node))
            {
                _hits++;
                _recency.Remove(node);
                _recency.AddFirst(node);

                // The cache's own reference is held while the entry is in the cache, so this cannot fail.
                return InferenceResult<ModelLease>.Ok(node.Value.Model.Lease());
            }

            _misses++;
            if (!_loading.TryGetValue(key, out pending!))
            {
                pending = new PendingLoad();
                _loading.Add(key, pending);
                _loads++;
                start = true;
            }

            pending.Waiters++;
        }

        if (start)
        {
            _ = Task.Run(() => LoadAsync(key, pending, loader), CancellationToken.None);
        }

        try
        {
            var result = await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

            // On success a reference was added for each waiter when the load completed: this one is ours.
            return result.IsOk ? InferenceResult<ModelLease>.Ok(new ModelLease(result.Value)) : InferenceResult<ModelLease>.Fail(result.Error);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LoadedModel? reserved = null;
            lock (_gate)
            {
                if (pending.Completed)
                {
                    reserved = pending.Model;
                }
                else
                {
                    pending.Waiters--;
                }
            }

            reserved?.ReleaseReference();
            throw;
        }
    }

    /// <summary>Removes the model of <paramref name="key"/> (for example when its key is retired); leases stay valid.</summary>
    public bool Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        LoadedModel model;
        lock (_gate)
        {
            if (!_ready.Remove(key, out var node))
            {
                return false;
            }

            _recency.Remove(node);
            _usedBytes -= node.Value.Model.SizeBytes;
            _evictions++;
            model = node.Value.Model;
        }

        model.Dispose();
        return true;
    }

    /// <summary>Drops every model (sessions close as their leases are released) and fails loads in progress.</summary>
    public void Dispose()
    {
        List<LoadedModel> models;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            models = [.. _recency.Select(e => e.Model)];
            _ready.Clear();
            _recency.Clear();
            _usedBytes = 0;
        }

        _lifetime.Cancel();
        foreach (var model in models)
        {
            model.Dispose();
        }
    }

    private async Task LoadAsync(string key, PendingLoad pending, Func<CancellationToken, Task<InferenceResult<LoadedModel>>> loader)
    {
        InferenceResult<LoadedModel>? result = null;
        Exception? thrown = null;
        try
        {
            // The source is cancelled, never disposed (it owns no timer), so its token stays usable by late loaders.
            result = await loader(_lifetime.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The model loader returned null.");
            if (result.IsOk && result.Value.IsClosed)
            {
                throw new InvalidOperationException("The model loader returned a disposed model.");
            }
        }
        catch (Exception exception)
        {
            thrown = exception;
        }

        var discard = new List<LoadedModel>();
        lock (_gate)
        {
            _loading.Remove(key);
            pending.Completed = true;
            if (thrown is not null || !result!.IsOk)
            {
                _loadFailures++;
            }
            else if (_disposed)
            {
                discard.Add(result.Value);
                result = InferenceResult<LoadedModel>.Fail(InferenceErrorCodes.ModelCacheClosed, "the model cache was closed while the model loaded");
            }
            else if (result.Value.SizeBytes > BudgetBytes)
            {
                _refusals++;
                discard.Add(result.Value);
                result = InferenceResult<LoadedModel>.Fail(
                    InferenceErrorCodes.ModelTooLarge,
                    string.Create(CultureInfo.InvariantCulture, $"the model needs {result.Value.SizeBytes} bytes; the cache holds at most {BudgetBytes}"));
            }
            else
            {
                var model = result.Value;
                while (_usedBytes + model.SizeBytes > BudgetBytes && _recency.Last is { } oldest)
                {
                    _recency.RemoveLast();
                    _ready.Remove(oldest.Value.Key);
                    _usedBytes -= oldest.Value.Model.SizeBytes;
                    _evictions++;
                    discard.Add(oldest.Value.Model);
                }

                _ready.Add(key, _recency.AddFirst(new Entry(key, model)));
                _usedBytes += model.SizeBytes;
                model.AddReferences(pending.Waiters);
                pending.Model = model;
            }
        }

        foreach (var model in discard)
        {
            model.Dispose();
        }

        if (thrown is not null)
        {
            pending.Completion.SetException(thrown);
        }
        else
        {
            pending.Completion.SetResult(result!);
        }
    }

    private sealed record Entry(string Key, LoadedModel Model);

    /// <summary>A load in progress and the requests waiting for it (all fields guarded by the cache's lock).</summary>
    private sealed class PendingLoad
    {
        public TaskCompletionSource<InferenceResult<LoadedModel>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Waiters { get; set; }

        public bool Completed { get; set; }

        public LoadedModel? Model { get; set; }
    }
}
