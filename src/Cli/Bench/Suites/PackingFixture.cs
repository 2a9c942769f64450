using System.Globalization;
using Sesemi.Cli.Platform;
using Sesemi.Cli.Workloads;
using Sesemi.Models;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.Security.Tensors;

namespace Sesemi.Cli.Bench.Suites;

internal sealed partial class PackingSuite
{
    /// <summary>
    /// What every policy's run shares: a local stack (its KeyService and model store; its own platform and gateway stay
    /// idle, each run starts fresh ones), and one owner's MobileNet sealed under many model ids, each with its own model
    /// key (so each id is a distinct encrypted model and every load is real), granted to a user for the runtime image of
    /// the runs.
    /// </summary>
    private sealed class Fixture(BenchStack bench) : IAsyncDisposable
    {
        /// <summary>How each run's platform starts a runtime: the stack's image with a model cache of <see cref="ModelCacheMb"/>.</summary>
        public RuntimeImage Image { get; } = bench.Stack.Image with { ModelCacheMb = ModelCacheMb };

        public PrincipalId User => bench.User;

        public SymmetricKey RequestKey => bench.RequestKey;

        public Uri KeyService => bench.KeyService;

        /// <summary>The sealed model ids; index = the workload's model.</summary>
        public List<ModelId> Models { get; } = [];

        /// <summary>The one input every request sends (a synthetic 48×192 text line).</summary>
        public IReadOnlyList<NamedTensor> Inputs { get; } = RealModelWorkload.SyntheticImage(RealModels.MobileNet);

        public static async Task<Fixture> StartAsync(string directory, TimeProvider time, CancellationToken cancellationToken) =>
            new(await BenchStack.StartAsync(directory, time, cancellationToken));

        /// <summary>Seals the MobileNet under <paramref name="count"/> new model ids, each with its own key, and grants them.</summary>
        public async Task SealAsync(int count, Action<int> progress, CancellationToken cancellationToken)
        {
            var bytes = await RealModels.LoadAsync(RealModels.MobileNet, cancellationToken);
            string[] measurements = [Image.Measure().ToString()];
            for (var i = Models.Count; i < count; i++)
            {
                var id = await bench.AddModelAsync(string.Create(CultureInfo.InvariantCulture, $"packing-{i:000}"), bytes, measurements, cancellationToken);
                Models.Add(id);
                progress(i + 1);
            }
        }

        public ValueTask DisposeAsync() => bench.DisposeAsync();
    }
}
