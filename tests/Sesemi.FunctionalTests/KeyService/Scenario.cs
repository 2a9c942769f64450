using System.Net;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Identities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// The usual state of a release test, made through the API: a registered owner with a model and its key version 1, a
/// registered user with request key version 1 for (model, runtime measurement), and the owner's grant of that
/// measurement to the user on the model. Each step can be left out.
/// </summary>
internal sealed class Scenario
{
    private Scenario(KeyServiceHarness harness, PrincipalIdentity owner, ApiClient ownerApi, PrincipalIdentity user, ApiClient userApi, string model, SimulatedEnclave runtime)
    {
        Harness = harness;
        Owner = owner;
        OwnerApi = ownerApi;
        User = user;
        UserApi = userApi;
        Model = model;
        Runtime = runtime;
    }

    public KeyServiceHarness Harness { get; }

    public PrincipalIdentity Owner { get; }

    public ApiClient OwnerApi { get; }

    public PrincipalIdentity User { get; }

    public ApiClient UserApi { get; }

    public string UserId => User.Id.Value;

    /// <summary>The model id, <c>&lt;owner id&gt;/&lt;name&gt;</c>.</summary>
    public string Model { get; }

    /// <summary>The enclave the granted runtimes run.</summary>
    public SimulatedEnclave Runtime { get; }

    public string Measurement => Runtime.Measurement.ToString();

    /// <summary>Model key versions uploaded so far, by version.</summary>
    public Dictionary<int, byte[]> ModelKeys { get; } = [];

    /// <summary>The user's request key versions for (model, measurement), by version.</summary>
    public Dictionary<int, byte[]> RequestKeys { get; } = [];

    public static async Task<Scenario> CreateAsync(
        KeyServiceHarness harness,
        string modelName = "model",
        SimulatedEnclave? runtime = null,
        bool modelKey = true,
        bool requestKey = true,
        bool grant = true)
    {
        var ct = KeyServiceHarness.Token;
        var (owner, ownerApi) = await harness.RegisteredPrincipalAsync("owner");
        var (user, userApi) = await harness.RegisteredPrincipalAsync("user");
        var info = (await ownerApi.RegisterModelAsync(modelName, ct)).Read(KeyServiceJsonContext.Default.ModelInfo, HttpStatusCode.Created);
        var scenario = new Scenario(harness, owner, ownerApi, user, userApi, info.ModelId, runtime ?? KeyServiceHarness.RuntimeA);
        if (modelKey)
        {
            await scenario.AddModelKeyAsync(1);
        }

        if (requestKey)
        {
            await scenario.AddRequestKeyAsync(1);
        }

        if (grant)
        {
            (await ownerApi.GrantAsync(scenario.Model, scenario.UserId, scenario.Measurement, ct)).Read(KeyServiceJsonContext.Default.GrantInfo, HttpStatusCode.Created);
        }

        return scenario;
    }

    public async Task<KeyVersionInfo> AddModelKeyAsync(int version)
    {
        var key = KeyServiceHarness.NewKey();
        var info = (await OwnerApi.AddModelKeyAsync(Model, version, key, KeyServiceHarness.Token)).Read(KeyServiceJsonContext.Default.KeyVersionInfo, HttpStatusCode.Created);
        ModelKeys[version] = key;
        return info;
    }

    public async Task<RequestKeyInfo> AddRequestKeyAsync(int version)
    {
        var key = KeyServiceHarness.NewKey();
        var info = (await UserApi.AddRequestKeyAsync(Model, Measurement, version, key, KeyServiceHarness.Token)).Read(KeyServiceJsonContext.Default.RequestKeyInfo, HttpStatusCode.Created);
        RequestKeys[version] = key;
        return info;
    }

    /// <summary>A raw client of a new runtime running this scenario's enclave, with its attested certificate.</summary>
    public async Task<(ApiClient Api, System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate)> NewRuntimeAsync(SimulatedEnclave? enclave = null)
    {
        var certificate = await Harness.RuntimeCertificateAsync(enclave ?? Runtime);
        return (Harness.Client(certificate), certificate);
    }
}
