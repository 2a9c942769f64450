using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.Audit;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>Several attested runtimes asking for keys at once: every release succeeds, opens, is logged once, and the chain holds.</summary>
public sealed class ConcurrencyTests
{
    private const int Runtimes = 4;
    private const int Releases = 200;
    private const int Parallelism = 8;

    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ParallelReleases_FromFourGrantedRuntimes_AllSucceed_AreEachLoggedOnce_AndTheChainVerifies()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var enclaves = Enumerable.Range(0, Runtimes).Select(i => i == 0 ? scenario.Runtime : SimulatedTee.Enclave($"runtime-{i}")).ToArray();
        foreach (var enclave in enclaves.Skip(1))
        {
            var measurement = enclave.Measurement.ToString();
            (await scenario.OwnerApi.GrantAsync(scenario.Model, scenario.UserId, measurement, Token)).Read(Json.GrantInfo, HttpStatusCode.Created);
            (await scenario.UserApi.AddRequestKeyAsync(scenario.Model, measurement, 1, KeyServiceHarness.NewKey(), Token)).Read(Json.RequestKeyInfo, HttpStatusCode.Created);
        }

        var runtimes = new List<(ApiClient Api, X509Certificate2 Certificate, SimulatedEnclave Enclave)>();
        foreach (var enclave in enclaves)
        {
            var (api, certificate) = await scenario.NewRuntimeAsync(enclave);
            runtimes.Add((api, certificate, enclave));
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        var leases = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, Releases),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = deadline.Token },
            async (i, ct) =>
            {
                var (api, certificate, enclave) = runtimes[i % Runtimes];
                var release = (await api.ReleaseAsync(scenario.UserId, scenario.Model, ct)).Read(Json.KeyRelease, HttpStatusCode.OK);
                Assert.Equal(enclave.Measurement.ToString(), release.Measurement);
                using var payload = ReleaseAndLeaseTests.Open(release, certificate);
                ReleaseAndLeaseTests.AssertKeys(scenario.ModelKeys, payload!.ModelKeys);
                Assert.True(leases.TryAdd(release.LeaseId, i % Runtimes), $"lease {release.LeaseId} was issued twice");
            });

        var page = (await scenario.OwnerApi.ReadAuditAsync(scenario.Model, 0, 1000, Token)).Read(Json.AuditPage);
        var released = page.Entries.Where(e => e.Action == AuditActions.Released).ToList();
        Assert.Equal(Releases, leases.Count);
        Assert.Equal(leases.Keys.Select(l => "lease " + l).Order(), released.Select(e => e.Detail).Order());
        foreach (var (_, certificate, enclave) in runtimes)
        {
            var mine = released.Where(e => e.Actor == KeyServiceHarness.ActorOf(certificate)).ToList();
            Assert.Equal(Releases / Runtimes, mine.Count);
            Assert.All(mine, e => Assert.Equal(enclave.Measurement.ToString(), e.Measurement));
        }

        AuditTests.AssertChain(page.Entries);
        Assert.Equal(page.Entries.Count, page.Entries.Select(e => e.Sequence).Distinct().Count());
        Assert.Null(await KeyServiceServer.VerifyAuditAsync(harness.DataDirectory, Token));
    }

    [Fact]
    public async Task ParallelWritersAndReleases_OnOneStore_LoseNothing_AndTheChainVerifies()
    {
        const int Owners = 4;
        const int ModelsEach = 10;
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var owners = new List<ApiClient>();
        for (var i = 0; i < Owners; i++)
        {
            owners.Add((await harness.RegisteredPrincipalAsync()).Api);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        var writes = owners.Select(owner => Task.Run(
            async () =>
            {
                for (var m = 0; m < ModelsEach; m++)
                {
                    var model = (await owner.RegisterModelAsync($"m{m}", deadline.Token)).Read(Json.ModelInfo, HttpStatusCode.Created);
                    (await owner.AddModelKeyAsync(model.ModelId, 1, KeyServiceHarness.NewKey(), deadline.Token)).Read(Json.KeyVersionInfo, HttpStatusCode.Created);
                }
            },
            deadline.Token));
        var releases = Task.Run(
            async () =>
            {
                for (var r = 0; r < 40; r++)
                {
                    var release = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, deadline.Token)).Read(Json.KeyRelease, HttpStatusCode.OK);
                    (await runtime.RenewAsync(release.LeaseId, deadline.Token)).Read(Json.LeaseInfo, HttpStatusCode.OK);
                }
            },
            deadline.Token);

        await Task.WhenAll([.. writes, releases]);

        foreach (var owner in owners)
        {
            var models = (await owner.GetAsync(KeyServiceRoutes.Models, Token)).Read(Json.ModelList);
            Assert.Equal(ModelsEach, models.Models.Count);
        }

        var page = (await scenario.OwnerApi.ReadAuditAsync(scenario.Model, 0, 1000, Token)).Read(Json.AuditPage);
        Assert.Equal(40, page.Entries.Count(e => e.Action == AuditActions.Released));
        Assert.Equal(40, page.Entries.Count(e => e.Action == AuditActions.LeaseRenewed));
        Assert.Null(await KeyServiceServer.VerifyAuditAsync(harness.DataDirectory, Token));
    }
}
