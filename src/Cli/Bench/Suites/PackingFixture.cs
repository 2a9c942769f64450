using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Cli.Platform;
using Sesemi.Cli.Stack;
using Sesemi.Cli.Workloads;
using Sesemi.Client.Inference;
using Sesemi.Client.KeyService;
using Sesemi.Models;
using Sesemi.Runtime.Host.Models;
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
    private sealed class Fixture : IAsyncDisposable
    {
        private readonly LocalStack _stack;
        private readonly PrincipalIdentity _owner;
        private readonly KeyServiceClient _ownerClient;
        private readonly KeyServiceClient _userClient;

        private Fixture(LocalStack stack, RuntimeImage image, PrincipalIdentity owner, PrincipalIdentity user, KeyServiceClient ownerClient, KeyServiceClient userClient)
        {
            _stack = stack;
            Image = image;
            _owner = owner;
            User = user;
            _ownerClient = ownerClient;
            _userClient = userClient;
            KeyService = new Uri(KeyServiceProfiles.Load(stack.KeyServiceProfile).Url);
        }

        /// <summary>How each run's platform starts a runtime: the stack's image with a model cache of <see cref="ModelCacheMb"/>.</summary>
        public RuntimeImage Image { get; }

        public PrincipalIdentity User { get; }

        public SymmetricKey RequestKey { get; } = SymmetricKey.Generate();

        public Uri KeyService { get; }

        /// <summary>The sealed model ids; index = the workload's model.</summary>
        public List<ModelId> Models { get; } = [];

        /// <summary>The one input every request sends (a synthetic 48×192 text line).</summary>
        public IReadOnlyList<NamedTensor> Inputs { get; } = RealModelWorkload.SyntheticImage(RealModels.MobileNet);

        public static async Task<Fixture> StartAsync(string directory, TimeProvider time, CancellationToken cancellationToken)
        {
            var stack = await LocalStack.StartAsync(new LocalStackOptions(directory, 0, 0, 0), time, NullLoggerFactory.Instance, null, cancellationToken);
            var owner = PrincipalIdentity.Create();
            var user = PrincipalIdentity.Create();
            var profile = KeyServiceProfiles.Load(stack.KeyServiceProfile);
            var fixture = new Fixture(
                stack,
                stack.Image with { ModelCacheMb = ModelCacheMb },
                owner,
                user,
                KeyServiceClient.Create(profile, owner, time),
                KeyServiceClient.Create(profile, user, time));
            try
            {
                await fixture._ownerClient.RegisterAsync("packing bench owner", cancellationToken);
                await fixture._userClient.RegisterAsync("packing bench user", cancellationToken);
                return fixture;
            }
            catch
            {
                await fixture.DisposeAsync();
                throw;
            }
        }

        /// <summary>Seals the MobileNet under <paramref name="count"/> new model ids, each with its own key, and grants them.</summary>
        public async Task SealAsync(int count, Action<int> progress, CancellationToken cancellationToken)
        {
            var bytes = await RealModels.LoadAsync(RealModels.MobileNet, cancellationToken);
            var store = new DirectoryModelStore(_stack.Options.ModelsDirectory);
            var measurement = Image.Measure().ToString();
            for (var i = Models.Count; i < count; i++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"packing-{i:000}");
                var id = ModelId.Parse((await _ownerClient.RegisterModelAsync(name, cancellationToken)).ModelId);
                using (var modelKey = SymmetricKey.Generate())
                {
                    await _ownerClient.AddModelKeyAsync(id.Value, 1, modelKey, cancellationToken);
                    using var sealedModel = new MemoryStream();
                    await ModelSealer.SealAsync(modelKey, id, new MemoryStream(bytes, writable: false), bytes.Length, sealedModel, cancellationToken);
                    sealedModel.Position = 0;
                    await store.SaveAsync(id, sealedModel, cancellationToken);
                }

                await _ownerClient.GrantAsync(id.Value, User.Id.Value, measurement, cancellationToken);
                await _userClient.AddRequestKeyAsync(id.Value, measurement, 1, RequestKey, cancellationToken);
                Models.Add(id);
                progress(i + 1);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _ownerClient.Dispose();
            _userClient.Dispose();
            RequestKey.Dispose();
            User.Dispose();
            _owner.Dispose();
            await _stack.DisposeAsync();
        }
    }
}
