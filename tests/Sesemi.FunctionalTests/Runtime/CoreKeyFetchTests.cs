using Sesemi.Contracts.KeyService;
using Sesemi.FunctionalTests.KeyService;
using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Hosting;
using Sesemi.Runtime.Trusted.Keys;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.Runtime;

/// <summary>
/// The trusted core fetches keys from a real KeyService on loopback, over attested TLS that it terminates itself on
/// a stream the host opens: released only when granted, cached per lease, fetched again after it, refused from a
/// KeyService whose measurement the core was not configured with.
/// </summary>
public sealed class CoreKeyFetchTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GrantedCore_GetsTheUploadedKeys_AndConcurrentRequestsShareOneFetchAndOneConnection()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var host = new LoopbackEnclaveHost(harness.Tee.Provider(scenario.Runtime));
        using var core = await StartCoreAsync(harness, host);

        var holds = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token)));

        try
        {
            Assert.All(holds, h => Assert.True(h.Hold is not null, $"{h.Error}: {h.Message}"));
            var keys = holds[0].Hold!.Value.Keys;
            Assert.All(holds, h => Assert.Same(keys, h.Hold!.Value.Keys));
            Assert.NotNull(keys.ModelKey(IdOf(scenario.ModelKeys[1])));
            Assert.NotNull(keys.RequestKey(IdOf(scenario.RequestKeys[1])));
            Assert.Null(keys.ModelKey(IdOf(scenario.RequestKeys[1])));
            Assert.Equal(1, host.Connections);
            Assert.Equal(1, await ReleaseCountAsync(harness, scenario));
        }
        finally
        {
            foreach (var hold in holds)
            {
                hold.Hold?.Dispose();
            }
        }
    }

    [Fact]
    public async Task AfterTheLease_TheCoreAsksAgain_AndARevocationThenRefusesIt()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        using var core = await StartCoreAsync(harness, new LoopbackEnclaveHost(harness.Tee.Provider(scenario.Runtime)));
        var first = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);
        var lease = first.Hold!.Value.Keys.LeaseId;
        first.Hold.Value.Dispose();

        harness.Time.Advance(TimeSpan.FromSeconds(20));
        var cached = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);
        Assert.Equal(lease, cached.Hold!.Value.Keys.LeaseId);
        cached.Hold.Value.Dispose();

        await harness.Sdk(scenario.Owner).RevokeAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token);
        harness.Time.Advance(TimeSpan.FromSeconds(9));
        var refused = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);

        Assert.Null(refused.Hold);
        Assert.Equal(KeyServiceErrors.NotGranted, refused.Error);
    }

    [Fact]
    public async Task ReleaseAtASubMillisecondTime_IsAccepted()
    {
        // The reply's expiresAt carries the clock's ticks, the sealed payload whole milliseconds: they agree to the millisecond.
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        using var core = await StartCoreAsync(harness, new LoopbackEnclaveHost(harness.Tee.Provider(scenario.Runtime)));
        harness.Time.Advance(TimeSpan.FromTicks(1_234_567));

        var acquired = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);

        Assert.True(acquired.Hold is not null, $"{acquired.Error}: {acquired.Message}");
        acquired.Hold.Value.Dispose();
    }

    [Fact]
    public async Task UngrantedMeasurement_IsRefusedWithTheKeyServicesCode_AndNothingIsCached()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        using var core = await StartCoreAsync(harness, new LoopbackEnclaveHost(harness.Tee.Provider(SimulatedTee.Enclave("not-granted"))));

        var refused = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);

        Assert.Null(refused.Hold);
        Assert.Equal(KeyServiceErrors.NotGranted, refused.Error);
    }

    [Fact]
    public async Task KeyServiceWithAnUntrustedMeasurement_IsRefused_BeforeTheCorePresentsItsCertificate()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var options = new TrustedCoreOptions
        {
            TrustedKeyServices = [SimulatedTee.Enclave("another-keyservice").Measurement.ToString()],
            SimulatedRootPins = [harness.Tee.Platform.RootPin],
        };
        using var core = await TrustedCore.StartAsync(new LoopbackEnclaveHost(harness.Tee.Provider(scenario.Runtime)), options, harness.Time, Token);
        var before = await harness.FingerprintAsync();

        var refused = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);

        Assert.Equal(KeyFetchErrors.Untrusted, refused.Error);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task UnreachableKeyService_FailsWithUnreachable_AndALaterRequestTriesAgain()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var host = new LoopbackEnclaveHost(harness.Tee.Provider(scenario.Runtime));
        using var core = await StartCoreAsync(harness, host);
        var closedPort = new Uri("https://127.0.0.1:1");

        var first = await core.AcquireKeysAsync(closedPort, User(scenario), Model(scenario), Token);
        var second = await core.AcquireKeysAsync(closedPort, User(scenario), Model(scenario), Token);
        var working = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);

        Assert.Equal(KeyFetchErrors.Unreachable, first.Error);
        Assert.Equal(KeyFetchErrors.Unreachable, second.Error);
        Assert.Equal(3, host.Connections);
        Assert.NotNull(working.Hold);
        working.Hold!.Value.Dispose();
    }

    [Fact]
    public async Task KeyServiceThatNeverAnswers_FailsWithTimeout_WithinTheConfiguredBound()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<System.Net.Sockets.TcpClient>();
        var accepting = Task.Run(async () => accepted.Add(await silent.AcceptTcpClientAsync(Token)), Token);
        var options = new TrustedCoreOptions
        {
            TrustedKeyServices = [harness.Server.Measurement.ToString()],
            SimulatedRootPins = [harness.Tee.Platform.RootPin],
            KeyServiceTimeout = TimeSpan.FromMilliseconds(300),
        };
        using var core = await TrustedCore.StartAsync(new LoopbackEnclaveHost(harness.Tee.Provider(scenario.Runtime)), options, harness.Time, Token);

        var slow = await core.AcquireKeysAsync(new Uri($"https://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}"), User(scenario), Model(scenario), Token)
            .WaitAsync(TimeSpan.FromSeconds(30), Token);
        var working = await core.AcquireKeysAsync(harness.Url, User(scenario), Model(scenario), Token);

        Assert.Equal(KeyFetchErrors.Timeout, slow.Error);
        Assert.NotNull(working.Hold);
        working.Hold!.Value.Dispose();
        await accepting;
        accepted.ForEach(c => c.Dispose());
    }

    private static Task<TrustedCore> StartCoreAsync(KeyServiceHarness harness, IEnclaveHost host) =>
        TrustedCore.StartAsync(
            host,
            new TrustedCoreOptions { TrustedKeyServices = [harness.Server.Measurement.ToString()], SimulatedRootPins = [harness.Tee.Platform.RootPin] },
            harness.Time,
            Token);

    private static PrincipalId User(Scenario scenario) => PrincipalId.Parse(scenario.UserId);

    private static ModelId Model(Scenario scenario) => ModelId.Parse(scenario.Model);

    private static KeyId IdOf(byte[] key)
    {
        using var imported = SymmetricKey.Import(key);
        return imported.Id;
    }

    private static async Task<int> ReleaseCountAsync(KeyServiceHarness harness, Scenario scenario)
    {
        var count = 0;
        await foreach (var entry in harness.Sdk(scenario.Owner).ReadAllAuditAsync(scenario.Model, Token))
        {
            count += entry.Action == "key.release" ? 1 : 0;
        }

        return count;
    }
}
