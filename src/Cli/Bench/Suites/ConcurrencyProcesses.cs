namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class ConcurrencySuite
{
    /// <summary>
    /// Samples the summed resident memory of a set of processes at a fixed interval until stopped: the peak and the
    /// mean of the sums.
    /// </summary>
    internal sealed class MemorySampler : IAsyncDisposable
    {
        private readonly IReadOnlyList<RuntimeProcess> _processes;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly List<long> _sums = [];

        public MemorySampler(IReadOnlyList<RuntimeProcess> processes, TimeSpan interval, TimeProvider time)
        {
            _processes = processes;
            Sample();
            _loop = RunAsync(interval, time);
        }

        /// <summary>Stops sampling (after one last sample) and returns the peak, mean and last of the summed VmRSS, in bytes.</summary>
        public async Task<(long Peak, double Mean, long Last)> StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            Sample();
            return (_sums.Max(), _sums.Average(), _sums[^1]);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }

        private async Task RunAsync(TimeSpan interval, TimeProvider time)
        {
            using var timer = new PeriodicTimer(interval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    Sample();
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private void Sample()
        {
            long sum = 0;
            foreach (var process in _processes)
            {
                sum += process.ResidentBytes() ?? 0;
            }

            lock (_sums)
            {
                _sums.Add(sum);
            }
        }
    }
}
