using System.Diagnostics;
using Sesemi.Cli.Platform;
using Sesemi.Client.Inference;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class ConcurrencySuite
{
    /// <summary>What each client sends: the same sealed-request inputs for one model, for the one user.</summary>
    internal sealed record Workload(PrincipalId User, SymmetricKey RequestKey, ModelId Model, Uri KeyService, IReadOnlyList<NamedTensor> Inputs);

    /// <summary>One measured window of one contender.</summary>
    /// <param name="Throughput">Requests answered per second over the window (all clients).</param>
    /// <param name="LatenciesMs">Each request's round trip as its client saw it (seal, POST, open), in milliseconds.</param>
    /// <param name="InferenceMs">Each request's ONNX Runtime run inside the core, as the runtime reported it, in milliseconds.</param>
    /// <param name="KeyFetches">Requests for which the runtime fetched keys from the KeyService (a lease had ended).</param>
    /// <param name="ModelLoads">Requests for which the runtime fetched, decrypted and loaded the model (it was not cached).</param>
    /// <param name="PeakResidentBytes">The largest sum of VmRSS over the contender's processes during the window.</param>
    /// <param name="MeanResidentBytes">The mean of those sums.</param>
    /// <param name="EndResidentBytes">The sum at the end of the window.</param>
    /// <param name="ProportionalBytes">The sum of Pss over the contender's processes at the end of the window.</param>
    internal sealed record Window(double Throughput, IReadOnlyList<double> LatenciesMs, IReadOnlyList<double> InferenceMs, int KeyFetches, int ModelLoads, long PeakResidentBytes, double MeanResidentBytes, long EndResidentBytes, long ProportionalBytes);

    /// <summary>
    /// One side of the comparison at one client count: its runtime processes, and one client (own HTTP connection)
    /// per closed loop; client <c>i</c> sends to process <c>i mod instances</c>.
    /// </summary>
    internal sealed class Contender : IAsyncDisposable
    {
        private readonly InferenceClient[] _clients;
        private readonly TimeProvider _time;

        private Contender(IReadOnlyList<RuntimeProcess> processes, InferenceClient[] clients, long idleBytes, TimeProvider time)
        {
            Processes = processes;
            _clients = clients;
            IdleResidentBytes = idleBytes;
            _time = time;
        }

        public IReadOnlyList<RuntimeProcess> Processes { get; }

        /// <summary>The summed VmRSS of the processes after <c>/init</c>, before their first request: no keys, no model.</summary>
        public long IdleResidentBytes { get; }

        public static async Task<Contender> StartAsync(RuntimeImage image, int instances, int clients, TimeProvider time, CancellationToken cancellationToken)
        {
            var processes = await Fixture.StartRuntimesAsync(image, instances, cancellationToken);
            var idle = processes.Sum(p => p.ResidentBytes() ?? 0);
            var http = new List<InferenceClient>(clients);
            try
            {
                for (var i = 0; i < clients; i++)
                {
                    http.Add(InferenceClient.Create(processes[i % processes.Count].Url, time, TimeSpan.FromMinutes(2)));
                }

                return new Contender(processes, [.. http], idle, time);
            }
            catch
            {
                http.ForEach(c => c.Dispose());
                foreach (var process in processes)
                {
                    await process.DisposeAsync();
                }

                throw;
            }
        }

        /// <summary>
        /// Warms every instance up with at least <paramref name="requestsPerInstance"/> requests, its clients sharing
        /// them in their closed loops at once; nothing is recorded.
        /// </summary>
        public Task WarmUpAsync(Workload workload, int requestsPerInstance, CancellationToken cancellationToken)
        {
            var perClient = (int)Math.Ceiling(requestsPerInstance * Processes.Count / (double)_clients.Length);
            return Task.WhenAll(_clients.Select(client => LoopAsync(client, workload, perClient, null, cancellationToken)));
        }

        /// <summary>
        /// Every client sends <paramref name="requestsPerClient"/> requests in its closed loop at once, while the
        /// processes' memory is sampled.
        /// </summary>
        public async Task<Window> MeasureAsync(Workload workload, int requestsPerClient, TimeSpan sampleInterval, CancellationToken cancellationToken)
        {
            var samples = _clients.Select(_ => new List<Sample>(requestsPerClient)).ToArray();
            await using var sampler = new MemorySampler(Processes, sampleInterval, _time);
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(_clients.Select((client, i) => LoopAsync(client, workload, requestsPerClient, samples[i], cancellationToken)));
            var elapsed = Stopwatch.GetElapsedTime(started);
            var memory = await sampler.StopAsync();
            var proportional = Processes.Sum(p => p.ProportionalBytes() ?? 0);
            var all = samples.SelectMany(l => l).ToArray();
            return new Window(all.Length / elapsed.TotalSeconds, [.. all.Select(s => s.LatencyMs)], [.. all.Select(s => s.InferenceMs)], all.Count(s => s.KeysFetched), all.Count(s => s.ModelLoaded), memory.Peak, memory.Mean, memory.Last, proportional);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }

            foreach (var process in Processes)
            {
                await process.DisposeAsync();
            }
        }

        private static async Task LoopAsync(InferenceClient client, Workload workload, int requests, List<Sample>? samples, CancellationToken cancellationToken)
        {
            for (var i = 0; i < requests; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var result = await client.InferAsync(workload.User, workload.RequestKey, workload.Model, workload.KeyService, workload.Inputs, null, cancellationToken);
                samples?.Add(new Sample(Stopwatch.GetElapsedTime(started).TotalMilliseconds, result.Timing.InferenceMs, result.Timing.ColdKeys, result.Timing.ColdModel));
            }
        }

        private readonly record struct Sample(double LatencyMs, double InferenceMs, bool KeysFetched, bool ModelLoaded);
    }
}
