using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Identities;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>Who calls, in <see cref="AccessControlMatrixTests"/>.</summary>
public enum Caller
{
    NoCertificate,
    UnregisteredPrincipal,
    Owner,
    OtherPrincipal,
    GrantedRuntime,
    UngrantedRuntime,
    SimulatedRuntimeUnderProductionPolicy,
    DebugRuntime,
    UntrustedRootRuntime,
}

/// <summary>
/// Every route of KeyService API v1 (docs/protocols.md §6.1) called by every kind of caller; each cell is one test
/// case asserting the exact status and error code, that an allowed call answers the documented reply, and that a
/// refused call changed nothing in the store. Each case starts its own KeyService (development policy, or production
/// for the simulated-runtime column) and builds its owner, model, keys, grants and runtimes through the API.
/// </summary>
public sealed class AccessControlMatrixTests
{
    // Outcomes, as ApiReply.Outcome writes them.
    private const string Ok = "200";
    private const string New = "201";
    private const string NoCert = "401 auth.certificate_required";
    private const string Unreg = "403 principal.not_registered";
    private const string NotOwner = "403 model.not_owner";
    private const string PrincipalsOnly = "403 auth.principal_required";
    private const string RuntimesOnly = "403 auth.runtime_required";
    private const string NotGranted = "403 release.not_granted";
    private const string NotHolder = "403 lease.not_holder";
    private const string NoSim = "403 attestation.simulation_not_allowed";
    private const string NoDebug = "403 attestation.debug_not_allowed";
    private const string NoRoot = "403 attestation.untrusted_root";

    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    /// <summary>
    /// The matrix: per route, how it is called, what each case's world needs for it, and the outcome for each caller
    /// (columns in <see cref="Caller"/> order: none, unregistered, owner, other principal, granted runtime, ungranted
    /// runtime, simulated runtime under the production policy, debug runtime, runtime of an untrusted root).
    /// </summary>
    private static readonly Dictionary<string, Operation> Operations = new()
    {
        ["GET /healthz"] = new(
            (w, api, ct) => api.GetAsync("/healthz", ct), Setup.None, Text("ok"),
            [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
        ["GET /v1/info"] = new(
            (w, api, ct) => api.GetAsync("/v1/info", ct), Setup.None, Parse(Json.ServiceInfo),
            [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
        ["POST /v1/principals"] = new(
            (w, api, ct) => api.RegisterAsync(ct, "me"), Setup.None, Parse(Json.PrincipalInfo),
            [NoCert, New, Ok, Ok, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["GET /v1/principals/me"] = new(
            (w, api, ct) => api.GetAsync("/v1/principals/me", ct), Setup.None, Parse(Json.PrincipalInfo),
            [NoCert, Unreg, Ok, Ok, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/models"] = new(
            (w, api, ct) => api.RegisterModelAsync("another-model", ct), Setup.None, Parse(Json.ModelInfo),
            [NoCert, Unreg, New, New, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["GET /v1/models"] = new(
            (w, api, ct) => api.GetAsync("/v1/models", ct), Setup.None, Parse(Json.ModelList),
            [NoCert, Unreg, Ok, Ok, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/model-keys"] = new(
            (w, api, ct) => api.AddModelKeyAsync(w.Model, 1, KeyServiceHarness.NewKey(), ct), Setup.None, Parse(Json.KeyVersionInfo),
            [NoCert, Unreg, New, NotOwner, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/model-keys/retire"] = new(
            (w, api, ct) => api.RetireModelKeyAsync(w.Model, 1, ct), Setup.ModelKeys, Parse(Json.KeyVersionInfo),
            [NoCert, Unreg, Ok, NotOwner, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["GET /v1/model-keys"] = new(
            (w, api, ct) => api.GetAsync(w.Query("/v1/model-keys"), ct), Setup.None, Parse(Json.ModelKeyList),
            [NoCert, Unreg, Ok, NotOwner, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/grants"] = new(
            (w, api, ct) => api.GrantAsync(w.Model, w.OtherId, World.NewGrant, ct), Setup.None, Parse(Json.GrantInfo),
            [NoCert, Unreg, New, NotOwner, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/grants/revoke"] = new(
            (w, api, ct) => api.RevokeAsync(w.Model, w.OtherId, World.Revocable, ct), Setup.Grants, Parse(Json.GrantInfo),
            [NoCert, Unreg, Ok, NotOwner, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["GET /v1/grants"] = new(
            (w, api, ct) => api.GetAsync(w.Query("/v1/grants"), ct), Setup.None, Parse(Json.GrantList),
            [NoCert, Unreg, Ok, NotOwner, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["GET /v1/audit"] = new(
            (w, api, ct) => api.GetAsync(w.Query("/v1/audit"), ct), Setup.None, Parse(Json.AuditPage),
            [NoCert, Unreg, Ok, NotOwner, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/request-keys"] = new(
            (w, api, ct) => api.AddRequestKeyAsync(w.Model, World.NewRequestKeySlot, 1, KeyServiceHarness.NewKey(), ct), Setup.None, Parse(Json.RequestKeyInfo),
            [NoCert, Unreg, New, New, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/request-keys/retire"] = new(
            (w, api, ct) => api.RetireRequestKeyAsync(w.Model, World.RetirableSlot, 1, ct), Setup.RetirableRequestKeys, Parse(Json.RequestKeyInfo),
            [NoCert, Unreg, Ok, Ok, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["GET /v1/request-keys"] = new(
            (w, api, ct) => api.GetAsync("/v1/request-keys", ct), Setup.None, Parse(Json.RequestKeyList),
            [NoCert, Unreg, Ok, Ok, PrincipalsOnly, PrincipalsOnly, NoSim, NoDebug, NoRoot]),
        ["POST /v1/releases"] = new(
            (w, api, ct) => api.ReleaseAsync(w.OtherId, w.Model, ct), Setup.Releasable, Parse(Json.KeyRelease),
            [NoCert, RuntimesOnly, RuntimesOnly, RuntimesOnly, Ok, NotGranted, NoSim, NoDebug, NoRoot]),
        ["POST /v1/releases/renew"] = new(
            (w, api, ct) => api.RenewAsync(w.LeaseId, ct), Setup.Releasable | Setup.Lease, Parse(Json.LeaseInfo),
            [NoCert, RuntimesOnly, RuntimesOnly, RuntimesOnly, Ok, NotHolder, NoSim, NoDebug, NoRoot]),
    };

    /// <summary>What a case's world holds beyond a registered owner, another registered principal and the owner's model.</summary>
    [Flags]
    private enum Setup
    {
        None = 0,

        /// <summary>Model key versions 1 and 2.</summary>
        ModelKeys = 1,

        /// <summary>Grants to the other principal on the model: runtime-a, and a measurement to revoke.</summary>
        Grants = 2,

        /// <summary>The other principal's request key for (model, runtime-a).</summary>
        RequestKey = 4,

        /// <summary>Request key versions 1 and 2 of both principals for (model, a measurement), so version 1 can be retired.</summary>
        RetirableRequestKeys = 8,

        /// <summary>A release to the granted runtime, whose lease the renewal renews.</summary>
        Lease = 16,

        Releasable = ModelKeys | Grants | RequestKey,
    }

    public static TheoryData<string, Caller, string> Cells()
    {
        var data = new TheoryData<string, Caller, string>();
        foreach (var (route, operation) in Operations)
        {
            foreach (var caller in Enum.GetValues<Caller>())
            {
                data.Add(route, caller, operation.Expected[(int)caller]);
            }
        }

        return data;
    }

    [Fact]
    public void Matrix_CoversEveryRouteOfTheApi_WithOneOutcomePerCaller()
    {
        string[] documented =
        [
            $"GET {KeyServiceRoutes.Health}", $"GET {KeyServiceRoutes.Info}", $"POST {KeyServiceRoutes.Principals}", $"GET {KeyServiceRoutes.Me}",
            $"POST {KeyServiceRoutes.Models}", $"GET {KeyServiceRoutes.Models}", $"POST {KeyServiceRoutes.ModelKeys}", $"POST {KeyServiceRoutes.RetireModelKey}",
            $"GET {KeyServiceRoutes.ModelKeys}", $"POST {KeyServiceRoutes.Grants}", $"POST {KeyServiceRoutes.RevokeGrant}", $"GET {KeyServiceRoutes.Grants}",
            $"GET {KeyServiceRoutes.Audit}", $"POST {KeyServiceRoutes.RequestKeys}", $"POST {KeyServiceRoutes.RetireRequestKey}", $"GET {KeyServiceRoutes.RequestKeys}",
            $"POST {KeyServiceRoutes.Releases}", $"POST {KeyServiceRoutes.RenewLease}",
        ];

        Assert.Equal(documented.Order(StringComparer.Ordinal), Operations.Keys.Order(StringComparer.Ordinal));
        Assert.All(Operations.Values, o => Assert.Equal(Enum.GetValues<Caller>().Length, o.Expected.Length));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Route_CalledBy_AnswersExactlyAsDocumented(string route, Caller caller, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await KeyServiceHarness.StartAsync(o => o.AcceptSimulatedRuntimes = caller != Caller.SimulatedRuntimeUnderProductionPolicy);
        var operation = Operations[route];
        using var world = await World.CreateAsync(harness, operation.Setup);
        using var api = await world.ClientForAsync(caller);
        var before = await harness.FingerprintAsync();

        var reply = await operation.Send(world, api, ct);

        Assert.True(expected == reply.Outcome, $"{route} by {caller}: expected {expected}, got {reply}");
        if (reply.IsSuccess)
        {
            operation.OnSuccess(reply);
        }
        else
        {
            Assert.Equal("application/json", reply.MediaType);
            await harness.AssertUnchangedAsync(before);
        }
    }

    private static Action<ApiReply> Parse<T>(JsonTypeInfo<T> type) => reply => Assert.NotNull(JsonSerializer.Deserialize(reply.Body, type));

    private static Action<ApiReply> Text(string expected) => reply => Assert.Equal(expected, reply.Body);

    private sealed record Operation(Func<World, ApiClient, CancellationToken, Task<ApiReply>> Send, Setup Setup, Action<ApiReply> OnSuccess, string[] Expected);

    /// <summary>
    /// One case's state, made through the API before the call: a registered owner with a model, another registered
    /// principal, and what the route's <see cref="Setup"/> asks for. The same for every caller of a route. (Under the
    /// production policy no runtime can hold a lease, so the renewal there names a well-formed unknown lease.)
    /// </summary>
    private sealed class World : IDisposable
    {
        public static readonly string Granted = KeyServiceHarness.RuntimeA.Measurement.ToString();
        public static readonly string NewGrant = SimulatedTee.Enclave("matrix-new-grant").Measurement.ToString();
        public static readonly string Revocable = SimulatedTee.Enclave("matrix-revocable").Measurement.ToString();
        public static readonly string NewRequestKeySlot = SimulatedTee.Enclave("matrix-new-request-key").Measurement.ToString();
        public static readonly string RetirableSlot = SimulatedTee.Enclave("matrix-retirable").Measurement.ToString();

        private readonly List<IDisposable> _owned = [];

        private World(KeyServiceHarness harness) => Harness = harness;

        public KeyServiceHarness Harness { get; }

        public PrincipalIdentity Owner { get; private set; } = null!;

        public PrincipalIdentity Other { get; private set; } = null!;

        public string OtherId => Other.Id.Value;

        public string Model { get; private set; } = null!;

        public X509Certificate2 GrantedRuntime { get; private set; } = null!;

        public string LeaseId { get; private set; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

        public string Query(string route) => $"{route}?model={Uri.EscapeDataString(Model)}";

        public static async Task<World> CreateAsync(KeyServiceHarness harness, Setup setup)
        {
            var ct = TestContext.Current.CancellationToken;
            var world = new World(harness);
            try
            {
                world.Owner = world.Own(PrincipalIdentity.Create());
                world.Other = world.Own(PrincipalIdentity.Create());
                world.GrantedRuntime = world.Own(await RuntimeCertificateAsync(harness, KeyServiceHarness.RuntimeA));
                using var owner = world.Client(world.Owner);
                using var other = world.Client(world.Other);
                Expect(await owner.RegisterAsync(ct), 201);
                Expect(await other.RegisterAsync(ct), 201);
                world.Model = JsonSerializer.Deserialize(Expect(await owner.RegisterModelAsync("model", ct), 201).Body, Json.ModelInfo)!.ModelId;
                if (setup.HasFlag(Setup.ModelKeys))
                {
                    Expect(await owner.AddModelKeyAsync(world.Model, 1, KeyServiceHarness.NewKey(), ct), 201);
                    Expect(await owner.AddModelKeyAsync(world.Model, 2, KeyServiceHarness.NewKey(), ct), 201);
                }

                if (setup.HasFlag(Setup.Grants))
                {
                    Expect(await owner.GrantAsync(world.Model, world.OtherId, Granted, ct), 201);
                    Expect(await owner.GrantAsync(world.Model, world.OtherId, Revocable, ct), 201);
                }

                if (setup.HasFlag(Setup.RequestKey))
                {
                    Expect(await other.AddRequestKeyAsync(world.Model, Granted, 1, KeyServiceHarness.NewKey(), ct), 201);
                }

                if (setup.HasFlag(Setup.RetirableRequestKeys))
                {
                    foreach (var principal in new[] { owner, other })
                    {
                        Expect(await principal.AddRequestKeyAsync(world.Model, RetirableSlot, 1, KeyServiceHarness.NewKey(), ct), 201);
                        Expect(await principal.AddRequestKeyAsync(world.Model, RetirableSlot, 2, KeyServiceHarness.NewKey(), ct), 201);
                    }
                }

                if (setup.HasFlag(Setup.Lease) && harness.Options.AcceptSimulatedRuntimes)
                {
                    using var runtime = new ApiClient(harness.Url, world.GrantedRuntime, harness.ServerValidator());
                    world.LeaseId = JsonSerializer.Deserialize(Expect(await runtime.ReleaseAsync(world.OtherId, world.Model, ct), 200).Body, Json.KeyRelease)!.LeaseId;
                }

                return world;
            }
            catch
            {
                world.Dispose();
                throw;
            }
        }

        /// <summary>A client presenting the certificate of <paramref name="caller"/> (disposed by the test).</summary>
        public async Task<ApiClient> ClientForAsync(Caller caller)
        {
            X509Certificate2? certificate = caller switch
            {
                Caller.NoCertificate => null,
                Caller.UnregisteredPrincipal => Own(Own(PrincipalIdentity.Create()).CreateClientCertificate(Harness.Time)),
                Caller.Owner => Own(Owner.CreateClientCertificate(Harness.Time)),
                Caller.OtherPrincipal => Own(Other.CreateClientCertificate(Harness.Time)),
                Caller.GrantedRuntime => GrantedRuntime,
                Caller.UngrantedRuntime => Own(await RuntimeCertificateAsync(Harness, SimulatedTee.Enclave("runtime-b"))),

                // The granted measurement, on the server's own platform: refused only because it is simulated.
                Caller.SimulatedRuntimeUnderProductionPolicy => GrantedRuntime,

                // The granted measurement in a debug enclave.
                Caller.DebugRuntime => Own(await RuntimeCertificateAsync(Harness, SimulatedTee.Enclave("runtime-a", debug: true))),

                // The granted measurement, vouched for by a simulated root the server does not pin.
                Caller.UntrustedRootRuntime => await UntrustedRuntimeAsync(),
                _ => throw new ArgumentOutOfRangeException(nameof(caller)),
            };
            return new ApiClient(Harness.Url, certificate, Harness.ServerValidator());
        }

        public void Dispose()
        {
            foreach (var item in Enumerable.Reverse(_owned))
            {
                item.Dispose();
            }
        }

        private static ApiReply Expect(ApiReply reply, int status)
        {
            Assert.True((int)reply.Status == status, $"setting up the case: expected {status}, got {reply}");
            return reply;
        }

        private static Task<X509Certificate2> RuntimeCertificateAsync(KeyServiceHarness harness, Sesemi.Security.Attestation.Simulated.SimulatedEnclave enclave, SimulatedTee? tee = null) =>
            Sesemi.Security.RaTls.RaTlsCertificate.CreateAsync((tee ?? harness.Tee).Provider(enclave), "runtime", harness.Time, cancellationToken: TestContext.Current.CancellationToken);

        private async Task<X509Certificate2> UntrustedRuntimeAsync()
        {
            var otherPlatform = Own(new SimulatedTee(Harness.Time));
            return Own(await RuntimeCertificateAsync(Harness, KeyServiceHarness.RuntimeA, otherPlatform));
        }

        private ApiClient Client(PrincipalIdentity principal) =>
            new(Harness.Url, Own(principal.CreateClientCertificate(Harness.Time)), Harness.ServerValidator());

        private T Own<T>(T disposable)
            where T : IDisposable
        {
            _owned.Add(disposable);
            return disposable;
        }
    }
}
