using Sesemi.Models.Tiny;
using Sesemi.Runtime.Trusted.Inference;
using Sesemi.TestUtilities;

namespace Sesemi.Runtime.Trusted.Tests.Inference;

public sealed class ModelCacheTests
{
    private const int ModelBytes = 2_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GetOrLoad_FirstIsAMissThatLoads_SecondIsAHit()
    {
        using var cache = new ModelCache(10_000);
        var loader = new CountingLoader(ModelBytes);

        using var first = await GetAsync(cache, "m@1", loader);
        using var second = await GetAsync(cache, "m@1", loader);

        Assert.Same(first.Model, second.Model);
        Assert.Equal(1, loader.Calls);
        Assert.Equal(new ModelCacheCounters(Hits: 1, Misses: 1, Loads: 1, LoadFailures: 0, Evictions: 0, Refusals: 0), cache.Counters);
        Assert.Equal(ModelBytes, cache.UsedBytes);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task GetOrLoad_TheLeaseRunsTheModel()
    {
        using var cache = new ModelCache(10_000);

        using var lease = await GetAsync(cache, "add", new CountingLoader(ModelBytes));

        var result = lease.Model.Run([TestTensors.Float("x", [1, 4], 1, 1, 1, 1)], Ct);
        Assert.True(result.IsOk, result.ToString());
        Assert.Equal([1.5f, 0f, 3f, 11f], result.Value[0].Floats());
    }

    [Fact]
    public async Task GetOrLoad_OverBudget_EvictsTheLeastRecentlyUsed()
    {
        using var cache = new ModelCache((3 * ModelBytes) + 500);
        var loader = new CountingLoader(ModelBytes);
        var models = new Dictionary<string, LoadedModel>();
        foreach (var key in new[] { "a", "b", "c" })
        {
            using var lease = await GetAsync(cache, key, loader);
            models[key] = lease.Model;
        }

        (await GetAsync(cache, "a", loader)).Dispose(); // a becomes the most recently used: b is now the oldest
        Assert.Equal(["a", "c", "b"], cache.Keys);

        (await GetAsync(cache, "d", loader)).Dispose();

        Assert.Equal(["d", "a", "c"], cache.Keys);
        Assert.True(models["b"].IsClosed);
        Assert.False(models["a"].IsClosed);
        Assert.Equal(3 * ModelBytes, cache.UsedBytes);
        Assert.Equal(new ModelCacheCounters(Hits: 1, Misses: 4, Loads: 4, LoadFailures: 0, Evictions: 1, Refusals: 0), cache.Counters);

        (await GetAsync(cache, "b", loader)).Dispose(); // b was evicted: loaded again, c (now the oldest) goes

        Assert.Equal(["b", "d", "a"], cache.Keys);
        Assert.Equal(5, loader.Calls);
        Assert.Equal(2, cache.Counters.Evictions);
    }

    [Fact]
    public async Task GetOrLoad_LargeModel_EvictsAsManyAsNeeded()
    {
        using var cache = new ModelCache(7_000);
        foreach (var key in new[] { "a", "b", "c" })
        {
            (await GetAsync(cache, key, new CountingLoader(ModelBytes))).Dispose();
        }

        using var big = await GetAsync(cache, "big", new CountingLoader(4_500));

        Assert.Equal(["big", "c"], cache.Keys);
        Assert.Equal(4_500 + ModelBytes, cache.UsedBytes);
        Assert.Equal(2, cache.Counters.Evictions);
    }

    [Fact]
    public async Task GetOrLoad_ModelLargerThanTheWholeBudget_IsRefused_AndNothingIsEvicted()
    {
        using var cache = new ModelCache(5_000);
        (await GetAsync(cache, "small", new CountingLoader(ModelBytes))).Dispose();
        var loader = new CountingLoader(5_001);

        var result = await cache.GetOrLoadAsync("huge", loader.LoadAsync, Ct);

        Assert.Equal(InferenceErrorCodes.ModelTooLarge, result.Code);
        Assert.True(loader.Loaded.Single().IsClosed);
        Assert.Equal(["small"], cache.Keys);
        Assert.Equal(ModelBytes, cache.UsedBytes);
        Assert.Equal(new ModelCacheCounters(Hits: 0, Misses: 2, Loads: 2, LoadFailures: 0, Evictions: 0, Refusals: 1), cache.Counters);
    }

    [Fact]
    public async Task GetOrLoad_ModelOfExactlyTheBudget_Fits()
    {
        using var cache = new ModelCache(ModelBytes);

        using var lease = await GetAsync(cache, "exact", new CountingLoader(ModelBytes));

        Assert.Equal(ModelBytes, cache.UsedBytes);
    }

    [Fact]
    public async Task GetOrLoad_ConcurrentFirstRequests_ShareOneLoad()
    {
        using var cache = new ModelCache(10_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loader = new CountingLoader(ModelBytes, gate.Task);

        var requests = Enumerable.Range(0, 16).Select(_ => cache.GetOrLoadAsync("shared", loader.LoadAsync, Ct)).ToArray();
        await loader.Entered.Task.WaitAsync(Timeout, Ct);

        Assert.All(requests, r => Assert.False(r.IsCompleted));
        gate.SetResult();
        var results = await Task.WhenAll(requests).WaitAsync(Timeout, Ct);

        Assert.Equal(1, loader.Calls);
        Assert.All(results, r => Assert.True(r.IsOk, r.ToString()));
        Assert.Single(results.Select(r => r.Value!.Model).Distinct());
        Assert.Equal(new ModelCacheCounters(Hits: 0, Misses: 16, Loads: 1, LoadFailures: 0, Evictions: 0, Refusals: 0), cache.Counters);

        // Every request got its own reference: the model stays open until the last lease and the cache let go.
        var model = results[0].Value!.Model;
        foreach (var result in results)
        {
            result.Value!.Dispose();
        }

        Assert.False(model.IsClosed);
        Assert.True(cache.Remove("shared"));
        Assert.True(model.IsClosed);
    }

    [Fact]
    public async Task GetOrLoad_FailedLoad_FailsEveryWaiter_IsNotCached_AndIsRetried()
    {
        using var cache = new ModelCache(10_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failing = new CountingLoader(ModelBytes, gate.Task, fail: true);

        var requests = Enumerable.Range(0, 4).Select(_ => cache.GetOrLoadAsync("flaky", failing.LoadAsync, Ct)).ToArray();
        await failing.Entered.Task.WaitAsync(Timeout, Ct);
        gate.SetResult();
        var results = await Task.WhenAll(requests).WaitAsync(Timeout, Ct);

        Assert.All(results, r => Assert.Equal(InferenceErrorCodes.ModelInvalid, r.Code));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.UsedBytes);

        var working = new CountingLoader(ModelBytes);
        using var retried = await GetAsync(cache, "flaky", working);

        Assert.Equal(1, failing.Calls);
        Assert.Equal(1, working.Calls);
        Assert.Equal(new ModelCacheCounters(Hits: 0, Misses: 5, Loads: 2, LoadFailures: 1, Evictions: 0, Refusals: 0), cache.Counters);
    }

    [Fact]
    public async Task GetOrLoad_LoaderThatThrows_ReachesEveryWaiter_AndIsRetried()
    {
        using var cache = new ModelCache(10_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<InferenceResult<LoadedModel>> Throwing(CancellationToken cancellationToken)
        {
            entered.TrySetResult();
            await gate.Task;
            throw new InvalidOperationException("the host could not fetch the model");
        }

        var requests = Enumerable.Range(0, 3).Select(_ => cache.GetOrLoadAsync("boom", Throwing, Ct)).ToArray();
        await entered.Task.WaitAsync(Timeout, Ct);
        gate.SetResult();

        foreach (var request in requests)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => request.WaitAsync(Timeout, Ct));
        }

        Assert.Equal(0, cache.Count);
        using var retried = await GetAsync(cache, "boom", new CountingLoader(ModelBytes));
        Assert.Equal(1, cache.Counters.LoadFailures);
    }

    [Fact]
    public async Task Eviction_OfALeasedModel_ClosesItsSessionOnlyWhenTheLeaseIsReleased()
    {
        using var cache = new ModelCache(ModelBytes + 500);
        var inFlight = await GetAsync(cache, "old", new CountingLoader(ModelBytes));
        var model = inFlight.Model;

        using var other = await GetAsync(cache, "new", new CountingLoader(ModelBytes));

        Assert.Equal(["new"], cache.Keys);
        Assert.Equal(1, cache.Counters.Evictions);
        Assert.Equal(ModelBytes, cache.UsedBytes);
        Assert.False(model.IsClosed);
        Assert.True(inFlight.Model.Run([TestTensors.Float("x", [1, 4], 0, 0, 0, 0)], Ct).IsOk);

        inFlight.Dispose();

        Assert.True(model.IsClosed);
    }

    [Fact]
    public async Task Eviction_DuringConcurrentRuns_LetsThemFinish()
    {
        using var cache = new ModelCache(ModelBytes + 500);
        var lease = await GetAsync(cache, "busy", new CountingLoader(ModelBytes));
        var model = lease.Model;
        using var start = new ManualResetEventSlim();
        var leases = Enumerable.Range(0, 8).Select(_ => model.Lease()).ToArray();
        var runs = leases.Select((own, i) => Task.Run(() =>
        {
            using var _ = own;
            start.Wait(Ct);
            return Enumerable.Range(0, 20).All(_ => own.Model.Run([TestTensors.Float("x", [1, 4], i, i, i, i)], Ct).IsOk);
        })).ToArray();

        (await GetAsync(cache, "evictor", new CountingLoader(ModelBytes))).Dispose();
        lease.Dispose();
        Assert.Equal(["evictor"], cache.Keys);
        Assert.False(model.IsClosed);
        start.Set();
        var outcomes = await Task.WhenAll(runs).WaitAsync(Timeout, Ct);

        Assert.All(outcomes, Assert.True);
        Assert.True(model.IsClosed);
    }

    [Fact]
    public async Task GetOrLoad_WaiterThatCancels_StopsWaiting_WhileTheLoadGoesOnForOthers()
    {
        using var cache = new ModelCache(10_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loader = new CountingLoader(ModelBytes, gate.Task);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var quitter = cache.GetOrLoadAsync("slow", loader.LoadAsync, cancel.Token);
        var patient = cache.GetOrLoadAsync("slow", loader.LoadAsync, Ct);
        await loader.Entered.Task.WaitAsync(Timeout, Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter.WaitAsync(Timeout, Ct));
        gate.SetResult();
        var lease = (await patient.WaitAsync(Timeout, Ct)).Value!;

        // Only the patient request holds a reference besides the cache: releasing both closes the session.
        var model = lease.Model;
        lease.Dispose();
        Assert.True(cache.Remove("slow"));
        Assert.True(model.IsClosed);
    }

    [Fact]
    public async Task GetOrLoad_CancelledBeforeStart_Throws_AndDoesNotLoad()
    {
        using var cache = new ModelCache(10_000);
        var loader = new CountingLoader(ModelBytes);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetOrLoadAsync("m", loader.LoadAsync, new CancellationToken(canceled: true)));

        Assert.Equal(0, loader.Calls);
    }

    [Fact]
    public async Task Remove_DropsTheModel_ButLeasesStayValid()
    {
        using var cache = new ModelCache(10_000);
        using var lease = await GetAsync(cache, "retired", new CountingLoader(ModelBytes));

        Assert.True(cache.Remove("retired"));
        Assert.False(cache.Remove("retired"));

        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.UsedBytes);
        Assert.False(lease.Model.IsClosed);
        Assert.Equal(1, cache.Counters.Evictions);
    }

    [Fact]
    public async Task Dispose_ClosesUnleasedModels_AndRefusesFurtherRequests()
    {
        var cache = new ModelCache(10_000);
        var loader = new CountingLoader(ModelBytes);
        LoadedModel model;
        using (var lease = await GetAsync(cache, "m", loader))
        {
            model = lease.Model;
        }

        cache.Dispose();
        cache.Dispose();

        Assert.True(model.IsClosed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.GetOrLoadAsync("m", loader.LoadAsync, Ct));
    }

    [Fact]
    public async Task Dispose_DuringALoad_CancelsTheLoadersToken_AndFailsTheWaiters()
    {
        var cache = new ModelCache(10_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loader = new CountingLoader(ModelBytes, gate.Task, ignoreCancellation: true);

        var request = cache.GetOrLoadAsync("late", loader.LoadAsync, Ct);
        await loader.Entered.Task.WaitAsync(Timeout, Ct);
        cache.Dispose();
        Assert.True(loader.Token.IsCancellationRequested);
        gate.SetResult();
        var result = await request.WaitAsync(Timeout, Ct);

        Assert.Equal(InferenceErrorCodes.ModelCacheClosed, result.Code);
        Assert.True(loader.Loaded.Single().IsClosed);
    }

    [Fact]
    public void Constructor_NonPositiveBudget_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelCache(0));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ModelLease> GetAsync(ModelCache cache, string key, CountingLoader loader)
    {
        var result = await cache.GetOrLoadAsync(key, loader.LoadAsync, Ct).WaitAsync(Timeout, Ct);
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }

    /// <summary>Loads <see cref="TinyOnnx.Big"/> models of one size, optionally behind a gate, and counts its calls.</summary>
    private sealed class CountingLoader(int bytes, Task? gate = null, bool fail = false, bool ignoreCancellation = false)
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<LoadedModel> Loaded { get; } = [];

        public CancellationToken Token { get; private set; }

        public async Task<InferenceResult<LoadedModel>> LoadAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            Token = cancellationToken;
            Entered.TrySetResult();
            if (gate is not null)
            {
                await gate.WaitAsync(ignoreCancellation ? CancellationToken.None : cancellationToken);
            }

            if (fail)
            {
                return InferenceResult<LoadedModel>.Fail(InferenceErrorCodes.ModelInvalid, "ONNX Runtime refused the model");
            }

            var result = LoadedModel.Create(TinyOnnx.Big(bytes));
            lock (Loaded)
            {
                Loaded.Add(result.Value!);
            }

            return result;
        }
    }
}
