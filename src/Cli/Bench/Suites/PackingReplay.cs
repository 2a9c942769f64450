using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Cli.Platform;
using Sesemi.Client.Inference;
using Sesemi.Contracts.Gateway;
using Sesemi.Gateway.Api;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Routing;
using Sesemi.Platform.Local;

namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class PackingSuite
{
    private const string Group = "packing";

    /// <summary>What every policy's run is given, the same for all (the pool size aside, see <see cref="PoolFor"/>).</summary>
    /// <param name="PoolSize">Functions of the <c>sesemi</c> and <c>reference</c> groups.</param>
    /// <param name="Concurrency">Requests one instance serves at once.</param>
    /// <param name="MemoryMb">Memory limit of one instance (what GB-seconds count).</param>
    /// <param name="HostMemoryMb">The platform's memory for instances.</param>
    /// <param name="KeepAlive">Keep-alive of idle instances, in trace time.</param>
    /// <param name="Speedup">Trace time ÷ real time.</param>
    /// <param name="Models">Models in the workload.</param>
    private sealed record Setup(int PoolSize, int Concurrency, int MemoryMb, int HostMemoryMb, TimeSpan KeepAlive, double Speedup, int Models)
    {
        /// <summary>Requests the client has in flight at most (open loop: beyond it a send waits, and its delay counts in its latency).</summary>
        public const int MaxInFlight = 256;

        /// <summary>
        /// How long the platform holds an invocation it cannot place (no memory even after evicting idle instances)
        /// before refusing it (<c>gateway.throttled</c>). The platform's default is 60 s; a run where one request waited
        /// that long took 55 s more for that request alone, so the suite bounds it at 10 s.
        /// </summary>
        public static readonly TimeSpan BufferWait = TimeSpan.FromSeconds(10);

        /// <summary>The keep-alive in real time: platform keep-alive, FnPacker's KeepAlive and ShrinkAfter.</summary>
        public TimeSpan RealKeepAlive => PackingWorkload.Compress(KeepAlive, Speedup);

        /// <summary><c>dedicated</c> gets one function per model (the baseline: no packing, no replacement); the others the pool.</summary>
        public int PoolFor(string policy) => policy == PolicyNames.Dedicated ? Math.Max(PoolSize, Models) : PoolSize;
    }

    /// <summary>One request of a run (times in real ms since the replay started).</summary>
    /// <param name="Model">The model.</param>
    /// <param name="ScheduledMs">When it was due.</param>
    /// <param name="SentMs">When the client started sealing it.</param>
    /// <param name="AnsweredMs">When its answer was decrypted (or its error read).</param>
    /// <param name="Error">The error code, or null.</param>
    /// <param name="ColdModel">Whether the runtime loaded the model for it.</param>
    /// <param name="ColdStart">Whether the platform started an instance for it (<c>x-sesemi-cold-start</c>).</param>
    /// <param name="QueueMs">Its time in the gateway's queue (<c>x-sesemi-queue-ms</c>).</param>
    /// <param name="LoadMs">On a model load: the runtime's key fetch, model fetch, decryption and session creation.</param>
    /// <param name="InitMs">On a cold start: the instance's process start and <c>/init</c>, as the platform measured it.</param>
    private readonly record struct Sample(int Model, double ScheduledMs, double SentMs, double AnsweredMs, string? Error, bool ColdModel, bool ColdStart, double QueueMs, double? LoadMs, double? InitMs)
    {
        /// <summary>From the scheduled send to the decrypted answer (the round trip plus any delay in sending).</summary>
        public double LatencyMs => AnsweredMs - ScheduledMs;

        public bool Queued => QueueMs >= QueuedThresholdMs;
    }

    /// <summary>One instance's life (real seconds since the replay started) and its memory limit.</summary>
    private readonly record struct Life(string Function, double Start, double End, int MemoryMb)
    {
        public double GbSeconds => MemoryMb / 1024.0 * (End - Start);
    }

    /// <summary>One policy's run.</summary>
    private sealed record Run(string Policy, int Repetition, IReadOnlyList<Sample> Samples, IReadOnlyList<Life> Instances, int ColdStarts, int StartFailures, GroupMetrics Metrics, TimeSpan Elapsed, double Speedup)
    {
        public double GbSeconds => Instances.Sum(i => i.GbSeconds);

        public double TraceGbSeconds => GbSeconds * Speedup;

        public int ModelLoads => Samples.Count(s => s.ColdModel);

        public int Failed => Samples.Count(s => s.Error is not null);

        public int Queued => Samples.Count(s => s.Queued);

        public IReadOnlyList<double> Latencies => [.. Samples.Where(s => s.Error is null).Select(s => s.LatencyMs)];

        public Summary? Latency => Latencies.Count > 0 ? Summary.Of(Latencies) : null;

        public double SendDelayP99 => Summary.Percentile([.. Samples.Select(s => s.SentMs - s.ScheduledMs).Order()], 0.99);

        public int PeakInstances => Timeline().Max(p => p.Alive);

        /// <summary>Median time of a model load in the runtime (ms), or NaN.</summary>
        public double LoadMs => Median(Samples.Select(s => s.LoadMs));

        /// <summary>Median time of an instance start (process and <c>/init</c>, ms), or NaN.</summary>
        public double InitMs => Median(Samples.Select(s => s.InitMs));

        private static double Median(IEnumerable<double?> values) =>
            values.OfType<double>().ToList() is { Count: > 0 } list ? Summary.Of(list).Median : double.NaN;

        /// <summary>Instances alive over time: (real seconds, count) at every change.</summary>
        public List<(double Seconds, int Alive)> Timeline()
        {
            var changes = Instances.SelectMany(i => new[] { (i.Start, 1), (i.End, -1) }).OrderBy(c => c.Item1).ThenBy(c => c.Item2).ToList();
            var points = new List<(double, int)> { (0, 0) };
            var alive = 0;
            foreach (var (at, delta) in changes)
            {
                alive += delta;
                points.Add((at, alive));
            }

            return points;
        }

        public string Errors => string.Join(", ", Samples.Where(s => s.Error is not null).GroupBy(s => s.Error).OrderByDescending(g => g.Count()).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} ×{g.Count()}")));
    }

    /// <summary>
    /// Runs <paramref name="workload"/> once under <paramref name="policy"/> on a fresh platform, FnPacker and gateway
    /// (nothing warm carries over), sending each invocation at its compressed time whatever the answers (open loop),
    /// through the gateway's HTTP API. Instances alive at the end are counted until their last use plus the keep-alive,
    /// when the platform would reap them.
    /// </summary>
    private static async Task<Run> RunAsync(Fixture fixture, PackingWorkload workload, Setup setup, string policy, int repetition, TimeProvider time, CancellationToken cancellationToken)
    {
        var platformOptions = new LocalPlatformOptions { HostMemoryMb = setup.HostMemoryMb, KeepAlive = setup.RealKeepAlive, MaxBufferWait = Setup.BufferWait };
        platformOptions.Images[RuntimeImage.Name] = fixture.Image.ToLocalImage();
        await using var platform = LocalPlatform.Create(platformOptions, time, NullLoggerFactory.Instance);
        var recorder = new InstanceRecorder(setup.MemoryMb);
        using var subscription = platform.Events.Subscribe(recorder);
        var packerOptions = new FnPackerOptions
        {
            KeepAlive = setup.RealKeepAlive,
            ShrinkAfter = setup.RealKeepAlive,
            ModelsPerFunction = ModelsPerInstance,
            MaintenanceInterval = MaintenanceInterval,
        };
        await using var packer = new FnPacker(platform, packerOptions, time, NullLogger<FnPacker>.Instance);
        await using var gateway = await GatewayServer.StartAsync(new GatewayServerOptions { Port = 0 }, packer, time, null, cancellationToken);
        var created = await packer.CreateGroupAsync(
            new GroupSpec
            {
                Name = Group,
                Image = RuntimeImage.Reference,
                PoolSize = setup.PoolFor(policy),
                MinFunctions = 0,
                Concurrency = setup.Concurrency,
                MemoryMb = setup.MemoryMb,
                Timeout = TimeSpan.FromMinutes(2),
                Policy = policy,
            },
            cancellationToken);
        if (!created.IsSuccess)
        {
            throw new InvalidOperationException($"The gateway refused the {policy} group: {created.Error}");
        }

        using var client = InferenceClient.Create(gateway.Url, new GatewayHandler(gateway.Url, Group), time, TimeSpan.FromMinutes(3));
        using var gate = new SemaphoreSlim(Setup.MaxInFlight);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var t0 = time.GetTimestamp();
        var origin = time.GetUtcNow();
        double Now() => time.GetElapsedTime(t0).TotalMilliseconds;
        var sampler = SampleAsync(platform, recorder, time, sampling.Token);

        async Task<Sample> SendAsync(PackingEvent invocation, double scheduled)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var capture = new GatewayHandler.Capture();
                GatewayHandler.Current.Value = capture;
                var sent = Now();
                try
                {
                    using var result = await client.InferAsync(fixture.User, fixture.RequestKey, fixture.Models[invocation.Model], fixture.KeyService, fixture.Inputs, null, cancellationToken);
                    var t = result.Timing;
                    double? load = t.ColdModel ? t.KeysMs + t.ModelFetchMs + t.ModelDecryptMs + t.SessionCreateMs : null;
                    return new Sample(invocation.Model, scheduled, sent, Now(), null, t.ColdModel, capture.ColdStart, capture.QueueMs, load, capture.InitMs);
                }
                catch (InferenceException e)
                {
                    return new Sample(invocation.Model, scheduled, sent, Now(), e.Code, e.Timing?.ColdModel ?? false, capture.ColdStart, capture.QueueMs, null, capture.InitMs);
                }
            }
            finally
            {
                gate.Release();
            }
        }

        var requests = new List<Task<Sample>>(workload.Events.Count);
        foreach (var invocation in workload.Events)
        {
            var due = invocation.Compressed(setup.Speedup).TotalMilliseconds;
            var wait = due - Now();
            if (wait > 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), time, cancellationToken);
            }

            requests.Add(SendAsync(invocation, due));
        }

        var samples = await Task.WhenAll(requests);
        var elapsed = time.GetElapsedTime(t0);
        await sampling.CancelAsync();
        await sampler;
        var metrics = packer.GetMetrics(Group).Value;
        var lives = recorder.Close(platform.Instances, origin, time.GetUtcNow(), setup.RealKeepAlive);
        return new Run(policy, repetition, samples, lives, recorder.Starts, recorder.StartFailures, metrics, elapsed, setup.Speedup);
    }

    /// <summary>Records when each instance's process started and how much memory it holds, every <see cref="SampleInterval"/>.</summary>
    private static async Task SampleAsync(LocalPlatform platform, InstanceRecorder recorder, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SampleInterval, time);
        try
        {
            do
            {
                recorder.Observe(platform.Instances);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The platform's instance events and snapshots, turned into instance lives.</summary>
    /// <param name="memoryMb">The memory of an instance no snapshot saw (one that lived less than a sampling interval).</param>
    private sealed class InstanceRecorder(int memoryMb) : IObserver<InstanceEvent>
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, Entry> _instances = new(StringComparer.Ordinal);
        private bool _closed;

        public int Starts { get; private set; }

        public int StartFailures { get; private set; }

        public void OnNext(InstanceEvent value)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.InstanceId is not { } id)
            {
                return;
            }

            lock (_gate)
            {
                if (_closed)
                {
                    return;
                }

                var entry = EntryOf(id, value.Function);
                switch (value.Kind)
                {
                    case InstanceEventKind.Started:
                        Starts++;
                        entry.Ready ??= value.At;
                        break;
                    case InstanceEventKind.StartFailed:
                        StartFailures++;
                        entry.Ended ??= value.At;
                        break;
                    case InstanceEventKind.Reaped or InstanceEventKind.Crashed or InstanceEventKind.Killed:
                        entry.Ended ??= value.At;
                        break;
                    default:
                        break;
                }
            }
        }

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }

        public void Observe(IReadOnlyList<InstanceState> instances)
        {
            lock (_gate)
            {
                foreach (var instance in instances)
                {
                    var entry = EntryOf(instance.InstanceId, instance.Function);
                    entry.Started ??= instance.Started;
                    entry.MemoryMb = instance.MemoryMb;
                    entry.LastUsed = instance.LastUsed;
                }
            }
        }

        /// <summary>
        /// Stops recording and returns every instance's life. One still alive ends at its last use plus the keep-alive
        /// (when the platform reaps it), or now if that has passed.
        /// </summary>
        public List<Life> Close(IReadOnlyList<InstanceState> alive, DateTimeOffset origin, DateTimeOffset now, TimeSpan keepAlive)
        {
            Observe(alive);
            lock (_gate)
            {
                _closed = true;
                var running = alive.Select(a => a.InstanceId).ToHashSet(StringComparer.Ordinal);
                var lives = new List<Life>();
                foreach (var (id, entry) in _instances)
                {
                    if ((entry.Started ?? entry.Ready) is not { } started)
                    {
                        continue;
                    }

                    var ended = entry.Ended
                        ?? (running.Contains(id) && entry.LastUsed is { } used ? Max(now, used + keepAlive) : entry.LastUsed ?? now);
                    lives.Add(new Life(entry.Function, (started - origin).TotalSeconds, (ended - origin).TotalSeconds, entry.MemoryMb));
                }

                return lives;
            }
        }

        private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

        private Entry EntryOf(string id, string function)
        {
            if (!_instances.TryGetValue(id, out var entry))
            {
                entry = new Entry(function) { MemoryMb = memoryMb };
                _instances[id] = entry;
            }

            return entry;
        }

        private sealed class Entry(string function)
        {
            public string Function { get; } = function;

            public DateTimeOffset? Started { get; set; }

            public DateTimeOffset? Ready { get; set; }

            public DateTimeOffset? Ended { get; set; }

            public DateTimeOffset? LastUsed { get; set; }

            public int MemoryMb { get; set; }
        }
    }

    /// <summary>
    /// Sends the inference client's request to the gateway's invoke route (the client speaks the runtime's
    /// <c>{"value": request}</c>; the gateway takes the request itself), and keeps the gateway's answer headers (cold
    /// start, time in its queue) for the request being sent on this async flow.
    /// </summary>
    private sealed class GatewayHandler(Uri gateway, string group) : DelegatingHandler(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
    {
        private readonly Uri _invoke = new(gateway, GatewayApi.InvokePath(group));

        /// <summary>The capture of the request in flight on this async flow.</summary>
        public static AsyncLocal<Capture?> Current { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            byte[] value;
            using (var document = JsonDocument.Parse(body))
            {
                value = Encoding.UTF8.GetBytes(document.RootElement.GetProperty("value").GetRawText());
            }

            using var forward = new HttpRequestMessage(HttpMethod.Post, _invoke) { Content = new ByteArrayContent(value) };
            forward.Content.Headers.ContentType = new("application/json");
            var response = await base.SendAsync(forward, cancellationToken);
            if (Current.Value is { } capture)
            {
                if (response.Headers.TryGetValues(GatewayHeaders.ColdStart, out var cold))
                {
                    capture.ColdStart = cold.FirstOrDefault() == "true";
                }

                if (response.Headers.TryGetValues(GatewayHeaders.QueueMs, out var queue)
                    && double.TryParse(queue.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
                {
                    capture.QueueMs = ms;
                }

                if (response.Headers.TryGetValues(GatewayHeaders.InitMs, out var init)
                    && double.TryParse(init.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var initMs))
                {
                    capture.InitMs = initMs;
                }
            }

            return response;
        }

        public sealed class Capture
        {
            public bool ColdStart { get; set; }

            public double QueueMs { get; set; }

            public double? InitMs { get; set; }
        }
    }
}
