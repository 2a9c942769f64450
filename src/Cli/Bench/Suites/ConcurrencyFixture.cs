using Sesemi.Cli.Platform;
using Sesemi.Cli.Workloads;
using Sesemi.Models;
using Sesemi.Platform.Local;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class ConcurrencySuite
{
    /// <summary>
    /// What every measurement shares: a local stack (its KeyService and model store; the platform and gateway idle), an
    /// owner who seals models and grants them to runtimes of the given settings, and a user with a request key for
    /// each (model, measurement).
    /// </summary>
    internal sealed class Fixture(BenchStack bench) : IAsyncDisposable
    {
        public PrincipalId User => bench.User;

        public SymmetricKey RequestKey => bench.RequestKey;

        public Uri KeyService => bench.KeyService;

        public static async Task<Fixture> StartAsync(string directory, TimeProvider time, CancellationToken cancellationToken) =>
            new(await BenchStack.StartAsync(directory, time, cancellationToken));

        /// <summary>How the platform would start a runtime that processes <paramref name="concurrency"/> requests at once.</summary>
        public RuntimeImage Image(int concurrency) => bench.Stack.Image with { Concurrency = concurrency };

        /// <summary>
        /// Seals <paramref name="model"/> into the store under a fresh model key, grants it to the user on runtimes of
        /// each of <paramref name="images"/> (their measurements differ), and registers the user's request key for each.
        /// </summary>
        public async Task<(ModelId Id, IReadOnlyList<NamedTensor> Inputs)> SealAsync(RealModel model, IReadOnlyList<RuntimeImage> images, CancellationToken cancellationToken)
        {
            var bytes = await RealModels.LoadAsync(model, cancellationToken);
            var id = await bench.AddModelAsync(model.Name, bytes, [.. images.Select(i => i.Measure().ToString())], cancellationToken);
            return (id, await RealModelWorkload.DefaultInputsAsync(model, cancellationToken));
        }

        /// <summary>Starts <paramref name="count"/> runtime processes of <paramref name="image"/> at once; all or none.</summary>
        public static async Task<IReadOnlyList<RuntimeProcess>> StartRuntimesAsync(RuntimeImage image, int count, CancellationToken cancellationToken)
        {
            LocalImage local = image.ToLocalImage();
            var starts = Enumerable.Range(0, count).Select(_ => RuntimeProcess.StartAsync(local, cancellationToken)).ToList();
            try
            {
                return await Task.WhenAll(starts);
            }
            catch
            {
                foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
                {
                    await start.Result.DisposeAsync();
                }

                throw;
            }
        }

        public ValueTask DisposeAsync() => bench.DisposeAsync();
    }
}
