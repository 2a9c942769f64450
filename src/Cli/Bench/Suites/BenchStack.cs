using Microsoft.Extensions.Logging;
using Sesemi.Cli.Stack;
using Sesemi.Client.Inference;
using Sesemi.Client.KeyService;
using Sesemi.Runtime.Host.Models;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.Cli.Bench.Suites;

/// <summary>
/// What every suite stands on: the local stack (KeyService, local platform, gateway, model store) in the run's scratch
/// directory, an owner and a user registered at the KeyService, and one request key of the user.
/// <see cref="AddModelAsync(string, byte[], IReadOnlyCollection{string}, CancellationToken)"/> does the owner's and the
/// user's part for a model: register it, add a model key, seal the model into the store, grant the user on the given
/// runtime measurements, add the request key for each.
/// </summary>
internal sealed class BenchStack : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly PrincipalIdentity _owner;
    private readonly PrincipalIdentity _user;
    private readonly KeyServiceClient _ownerClient;
    private readonly KeyServiceClient _userClient;

    private BenchStack(LocalStack stack, ILoggerFactory loggers, PrincipalIdentity owner, PrincipalIdentity user, KeyServiceClient ownerClient, KeyServiceClient userClient, Uri keyService)
    {
        Stack = stack;
        _loggers = loggers;
        _owner = owner;
        _user = user;
        _ownerClient = ownerClient;
        _userClient = userClient;
        KeyService = keyService;
    }

    public LocalStack Stack { get; }

    /// <summary>The KeyService's address, which every request names.</summary>
    public Uri KeyService { get; }

    public PrincipalId User => _user.Id;

    /// <summary>The user's request key (version 1) for every model of this stack.</summary>
    public SymmetricKey RequestKey { get; } = SymmetricKey.Generate();

    /// <summary>Starts the stack on free loopback ports; only errors are logged, so progress output stays readable.</summary>
    public static async Task<BenchStack> StartAsync(string directory, TimeProvider time, CancellationToken cancellationToken)
    {
        var loggers = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Error).AddSimpleConsole(o => o.SingleLine = true));
        LocalStack? stack = null;
        try
        {
            stack = await LocalStack.StartAsync(new LocalStackOptions(directory, 0, 0, 0), time, loggers, null, cancellationToken);
            var profile = KeyServiceProfiles.Load(stack.KeyServiceProfile);
            var owner = PrincipalIdentity.Create();
            var user = PrincipalIdentity.Create();
            var ownerClient = KeyServiceClient.Create(profile, owner, time);
            var userClient = KeyServiceClient.Create(profile, user, time);
            await ownerClient.RegisterAsync("bench owner", cancellationToken);
            await userClient.RegisterAsync("bench user", cancellationToken);
            return new BenchStack(stack, loggers, owner, user, ownerClient, userClient, new Uri(profile.Url));
        }
        catch
        {
            if (stack is not null)
            {
                await stack.DisposeAsync();
            }

            loggers.Dispose();
            throw;
        }
    }

    /// <summary>Registers and seals <paramref name="model"/> under a fresh model key and lets the user run it on this stack's runtimes.</summary>
    public Task<ModelId> AddModelAsync(OverheadModel model, CancellationToken cancellationToken) =>
        AddModelAsync(model.Name, model.Bytes, [Stack.RuntimeMeasurement.ToString()], cancellationToken);

    /// <summary>
    /// Registers <paramref name="name"/>, seals <paramref name="bytes"/> under a fresh model key into the store, and
    /// lets the user run it on runtimes of each of <paramref name="measurements"/>.
    /// </summary>
    public async Task<ModelId> AddModelAsync(string name, byte[] bytes, IReadOnlyCollection<string> measurements, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse((await _ownerClient.RegisterModelAsync(name, cancellationToken)).ModelId);
        using (var modelKey = SymmetricKey.Generate())
        {
            await _ownerClient.AddModelKeyAsync(id.Value, 1, modelKey, cancellationToken);
            using var sealedModel = new MemoryStream();
            await ModelSealer.SealAsync(modelKey, id, new MemoryStream(bytes, writable: false), bytes.Length, sealedModel, cancellationToken);
            sealedModel.Position = 0;
            await new DirectoryModelStore(Stack.Options.ModelsDirectory).SaveAsync(id, sealedModel, cancellationToken);
        }

        foreach (var measurement in measurements.Distinct(StringComparer.Ordinal))
        {
            await _ownerClient.GrantAsync(id.Value, _user.Id.Value, measurement, cancellationToken);
            await _userClient.AddRequestKeyAsync(id.Value, measurement, 1, RequestKey, cancellationToken);
        }

        return id;
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        _ownerClient.Dispose();
        _userClient.Dispose();
        _owner.Dispose();
        _user.Dispose();
        RequestKey.Dispose();
        _loggers.Dispose();
    }
}
