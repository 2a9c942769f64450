using System.Net;
using System.Security.Cryptography;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Audit;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// The audit log as its owner reads it: paged, every entry's hash recomputable from its fields and its previous hash,
/// releases and renewals recorded with the runtime that got the keys and the lease, no key material, and closed to
/// everyone but the model's owner.
/// </summary>
public sealed class AuditTests
{
    private const int PageSize = 2;
    private const int MaxPages = 100;

    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OwnerReadsTheModelsLog_PagedByTwo_EveryEntryVerifies_AndReleasesNameTheRuntimeAndLease()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, certificate) = await scenario.NewRuntimeAsync();
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var first = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        harness.Time.Advance(TimeSpan.FromSeconds(10));
        (await runtime.RenewAsync(first.LeaseId, Token)).Read(Json.LeaseInfo);
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await scenario.AddModelKeyAsync(2);
        (await scenario.OwnerApi.RetireModelKeyAsync(scenario.Model, 1, Token)).Read(Json.KeyVersionInfo);
        var second = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        (await scenario.OwnerApi.RevokeAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token)).Read(Json.GrantInfo);

        var (entries, pages) = await ReadPagedAsync(scenario.OwnerApi, scenario.Model);

        Assert.True(pages >= entries.Count / PageSize, $"{entries.Count} entries came in {pages} pages");
        Assert.Equal(
            [
                AuditActions.ModelRegistered, AuditActions.ModelKeyAdded, AuditActions.RequestKeyAdded, AuditActions.Granted,
                AuditActions.Released, AuditActions.LeaseRenewed, AuditActions.ModelKeyAdded, AuditActions.ModelKeyRetired,
                AuditActions.Released, AuditActions.Revoked,
            ],
            entries.Select(e => e.Action));
        AssertChain(entries);
        Assert.Null(KeyServiceClient.VerifyAuditEntries(entries));

        var actor = KeyServiceHarness.ActorOf(certificate);
        var releases = entries.Where(e => e.Action == AuditActions.Released).ToList();
        Assert.Equal(["lease " + first.LeaseId, "lease " + second.LeaseId], releases.Select(e => e.Detail));
        Assert.All(releases, e => Assert.Equal((actor, scenario.Model, scenario.UserId, scenario.Measurement), (e.Actor, e.Model, e.User, e.Measurement)));
        Assert.Equal([1, 2], releases.Select(e => e.Version));
        Assert.Equal(KeyServiceHarness.Start + TimeSpan.FromSeconds(1), releases[0].At);
        var renewal = Assert.Single(entries, e => e.Action == AuditActions.LeaseRenewed);
        Assert.Equal((actor, "lease " + first.LeaseId, KeyServiceHarness.Start + TimeSpan.FromSeconds(11)), (renewal.Actor, renewal.Detail, renewal.At));
        Assert.Equal(scenario.UserId, Assert.Single(entries, e => e.Action == AuditActions.RequestKeyAdded).Actor);
        Assert.All(entries.Where(e => e.Action is AuditActions.ModelRegistered or AuditActions.ModelKeyAdded or AuditActions.Granted or AuditActions.Revoked), e => Assert.Equal(scenario.Owner.Id.Value, e.Actor));

        // The whole store's chain (registrations included) and its authenticated head verify too.
        Assert.Null(await KeyServiceServer.VerifyAuditAsync(harness.DataDirectory, Token));
    }

    [Fact]
    public async Task RecomputedHashes_DetectAnyChangedField()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        var (entries, _) = await ReadPagedAsync(scenario.OwnerApi, scenario.Model);
        var release = Assert.Single(entries, e => e.Action == AuditActions.Released);

        AuditEntry[] forgeries =
        [
            release with { Detail = "lease " + new string('0', 32) },
            release with { Actor = scenario.Owner.Id.Value },
            release with { Measurement = scenario.Measurement.Replace('a', 'b') },
            release with { Version = 2 },
            release with { At = release.At.AddMilliseconds(1) },
            release with { Sequence = release.Sequence + 1 },
        ];

        Assert.True(Verifies(release));
        Assert.All(forgeries, f => Assert.False(Verifies(f), f.ToString()));
    }

    [Fact]
    public async Task Log_NeverCarriesKeyMaterial()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        await scenario.AddModelKeyAsync(2);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);

        var body = (await scenario.OwnerApi.ReadAuditAsync(scenario.Model, 0, 1000, Token)).Body;

        foreach (var key in scenario.ModelKeys.Values.Concat(scenario.RequestKeys.Values))
        {
            Assert.DoesNotContain(Convert.ToBase64String(key), body, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexStringLower(key), body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task AnotherPrincipal_ReadingTheModelsLog_IsRefused()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var stranger = harness.Client(harness.NewPrincipal());

        // The granted user, over the raw API and through the SDK.
        (await scenario.UserApi.ReadAuditAsync(scenario.Model, 0, 10, Token)).AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotOwner);
        var refused = await Assert.ThrowsAsync<KeyServiceException>(() => harness.Sdk(scenario.User).ReadAuditAsync(scenario.Model, 0, 10, Token));
        Assert.Equal((KeyServiceErrors.NotOwner, HttpStatusCode.Forbidden), (refused.Code, refused.Status));

        // Someone unregistered, and the runtime that serves the model.
        (await stranger.ReadAuditAsync(scenario.Model, 0, 10, Token)).AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotRegistered);
        (await runtime.ReadAuditAsync(scenario.Model, 0, 10, Token)).AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.PrincipalRequired);

        // The user's own namespace holds no such model.
        var own = scenario.UserId + "/model";
        (await scenario.UserApi.ReadAuditAsync(own, 0, 10, Token)).AssertError(HttpStatusCode.NotFound, KeyServiceErrors.ModelNotFound);
    }

    [Fact]
    public async Task Sdk_ReadAll_MatchesThePagedReads()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        for (var i = 0; i < 3; i++)
        {
            (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        }

        var (paged, _) = await ReadPagedAsync(scenario.OwnerApi, scenario.Model);
        var all = new List<AuditEntry>();
        await foreach (var entry in harness.Sdk(scenario.Owner).ReadAllAuditAsync(scenario.Model, Token))
        {
            all.Add(entry);
        }

        Assert.Equal(paged, all);
    }

    /// <summary>Reads a model's whole log <see cref="PageSize"/> entries at a time, following <c>nextAfter</c> (bounded).</summary>
    internal static async Task<(List<AuditEntry> Entries, int Pages)> ReadPagedAsync(ApiClient owner, string model)
    {
        var entries = new List<AuditEntry>();
        long after = 0;
        for (var pages = 1; pages <= MaxPages; pages++)
        {
            var page = (await owner.ReadAuditAsync(model, after, PageSize, Token)).Read(Json.AuditPage, HttpStatusCode.OK);
            Assert.InRange(page.Entries.Count, 0, PageSize);
            Assert.All(page.Entries, e => Assert.True(e.Sequence > after, $"entry {e.Sequence} is not after {after}"));
            entries.AddRange(page.Entries);
            if (page.NextAfter is not { } next)
            {
                return (entries, pages);
            }

            Assert.Equal(page.Entries[^1].Sequence, next);
            after = next;
        }

        throw new InvalidOperationException($"the log did not end within {MaxPages} pages");
    }

    /// <summary>
    /// Each entry's hash is <see cref="AuditRecord.ComputeHash"/> of its fields after its previous hash; sequences
    /// increase; consecutive sequences link; the log's first entry links to the genesis hash.
    /// </summary>
    internal static void AssertChain(IReadOnlyList<AuditEntry> entries)
    {
        AuditEntry? prior = null;
        foreach (var entry in entries)
        {
            Assert.True(Verifies(entry), $"entry {entry.Sequence} does not match its hash");
            if (entry.Sequence == 1)
            {
                Assert.Equal(Convert.ToHexStringLower(AuditRecord.GenesisHash.Span), entry.PreviousHash);
            }

            if (prior is not null)
            {
                Assert.True(entry.Sequence > prior.Sequence);
                if (entry.Sequence == prior.Sequence + 1)
                {
                    Assert.Equal(prior.Hash, entry.PreviousHash);
                }
            }

            prior = entry;
        }
    }

    internal static bool Verifies(AuditEntry entry)
    {
        var record = new AuditRecord(entry.Sequence, entry.At, entry.Actor, entry.Action, entry.Model, entry.User, entry.Measurement, entry.Version, entry.Detail);
        return CryptographicOperations.FixedTimeEquals(record.ComputeHash(Convert.FromHexString(entry.PreviousHash)), Convert.FromHexString(entry.Hash));
    }
}
