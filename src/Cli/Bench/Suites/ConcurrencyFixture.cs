using Microsoft.Extensions.Logging.Abstractions;
using Sesemi.Cli.Platform;
using Sesemi.Cli.Stack;
using Sesemi.Cli.Workloads;
using Sesemi.Client.Inference;
using Sesemi.Client.KeyService;
using Sesemi.Models;
using Sesemi.Platform.Local;
using Sesemi.Runtime.Host.Models;
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
    internal sealed class Fixture : IAsyncDisposable
    {
        private readonly LocalStack _stack;
        private readonly PrincipalIdentity _owner;
        private readonly KeyServiceClient _ownerClient;
        private readonly KeyServiceClient _userClient;

        private Fixture(LocalStack stack, PrincipalIdentity owner, PrincipalIdentity user, KeyServiceClient ownerClient, KeyServiceClient userClient, SymmetricKey requestKey)
        {
            _stack = stack;
            _owner = owner;
            User = user;
            _ownerClient = ownerClient;
            _userClient = userClient;
            RequestKey = requestKey;
            KeyService = new Uri(KeyServiceProfiles.Load(stack.KeyServiceProfile).Url);
        }

        public PrincipalIdentity User { get; }

        public SymmetricKey RequestKey { get; }

        public Uri KeyService { get; }

        public static async Task<Fixture> StartAsync(string directory, TimeProvider time, CancellationToken cancellationToken)
        {
            var stack = await LocalStack.StartAsync(new LocalStackOptions(directory, 0, 0, 0), time, NullLoggerFactory.Instance, null, cancellationToken);
            Fixture fixture;
            try
            {
                var profile = KeyServiceProfiles.Load(stack.KeyServiceProfile);
                var owner = PrincipalIdentity.Create();
                var user = PrincipalIdentity.Create();
                fixture = new Fixture(stack, owner, user, KeyServiceClient.Create(profile, owner, time), KeyServiceClient.Create(profile, user, time), SymmetricKey.Generate());
            }
            catch
            {
                await stack.DisposeAsync();
                throw;
            }

            try
            {
                await fixture._ownerClient.RegisterAsync("concurrency bench owner", cancellationToken);
                await fixture._userClient.RegisterAsync("concurrency bench user", cancellationToken);
                return fixture;
            }
            catch
            {
                await fixture.DisposeAsync();
                throw;
            }
        }

        /// <summary>How the platform would start a runtime that processes <paramref name="concurrency"/> requests at once.</summary>
        public RuntimeImage Image(int concurrency) => _stack.Image with { Concurrency = concurrency };

        /// <summary>
        /// Seals <paramref name="model"/> into the store under a fresh model key, grants it to the user on runtimes of
        /// each of <paramref name="images"/> (their measurements differ), and registers the user's request key for each.
        /// </summary>
        public async Task<(ModelId Id, IReadOnlyList<NamedTensor> Inputs)> SealAsync(RealModel model, IReadOnlyList<RuntimeImage> images, CancellationToken cancellationToken)
        {
            var id = ModelId.Parse((await _ownerClient.RegisterModelAsync(model.Name, cancellationToken)).ModelId);
            var bytes = await RealModels.LoadAsync(model, cancellationToken);
            using (var modelKey = SymmetricKey.Generate())
            {
                await _ownerClient.AddModelKeyAsync(id.Value, 1, modelKey, cancellationToken);
                using var sealedModel = new MemoryStream();
                await ModelSealer.SealAsync(modelKey, id, new MemoryStream(bytes, writable: false), bytes.Length, sealedModel, cancellationToken);
                sealedModel.Position = 0;
                await new DirectoryModelStore(_stack.Options.ModelsDirectory).SaveAsync(id, sealedModel, cancellationToken);
            }

            foreach (var measurement in images.Select(i => i.Measure().ToString()).Distinct(StringComparer.Ordinal))
            {
                await _ownerClient.GrantAsync(id.Value, User.Id.Value, measurement, cancellationToken);
                await _userClient.AddRequestKeyAsync(id.Value, measurement, 1, RequestKey, cancellationToken);
            }

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
