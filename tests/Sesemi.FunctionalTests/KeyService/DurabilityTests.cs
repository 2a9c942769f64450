using System.Collections.Concurrent;
using System.Net;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Hosting;
using Sesemi.Security.Audit;
using Sesemi.Security.Identities;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// What the KeyService acknowledged is on disk: after a clean restart everything is there (models, keys, grants,
/// request keys, the audit chain), and after the process is killed with SIGKILL in the middle of concurrent writes,
/// every write that was answered 2xx is there and the chain verifies.
/// </summary>
public sealed class DurabilityTests
{
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restart_OnTheSameDataDirectory_KeepsModelsKeysGrantsAndTheAuditChain_ButNotLeases()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        await scenario.AddModelKeyAsync(2);
        (await scenario.OwnerApi.RetireModelKeyAsync(scenario.Model, 1, Token)).Read(Json.KeyVersionInfo);
        var other = SimulatedTee.Enclave("runtime-b").Measurement.ToString();
        (await scenario.OwnerApi.GrantAsync(scenario.Model, scenario.UserId, other, Token)).Read(Json.GrantInfo, HttpStatusCode.Created);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var lease = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        var measurement = harness.Server.Measurement;
        var oldUrl = harness.Url;
        var before = await SnapshotAsync(harness, scenario.Owner, scenario.User, scenario.Model);

        await harness.RestartAsync();

        Assert.Equal(measurement, harness.Server.Measurement);
        Assert.NotEqual(oldUrl, harness.Url);
        var profile = System.Text.Json.JsonSerializer.Deserialize(await File.ReadAllBytesAsync(Path.Combine(harness.DataDirectory, KeyServiceServer.ProfileFileName), Token), Json.KeyServiceProfile)!;
        Assert.Equal((harness.Url.ToString().TrimEnd('/'), measurement.ToString()), (profile.Url, profile.Measurement));
        Assert.Equal([harness.Tee.Platform.RootPin], profile.SimulatedRootPins);
        var after = await SnapshotAsync(harness, scenario.Owner, scenario.User, scenario.Model);
        Assert.Equal(before, after);

        // The keys are still there and still open (under the unsealed storage key): a new runtime gets exactly them.
        var (newRuntime, certificate) = await scenario.NewRuntimeAsync();
        var release = (await newRuntime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease, HttpStatusCode.OK);
        using (var payload = ReleaseAndLeaseTests.Open(release, certificate))
        {
            ReleaseAndLeaseTests.AssertKeys(new Dictionary<int, byte[]> { [2] = scenario.ModelKeys[2] }, payload!.ModelKeys);
            ReleaseAndLeaseTests.AssertKeys(scenario.RequestKeys, payload.RequestKeys);
        }

        // Leases live in memory only: the old one is unknown now.
        (await newRuntime.RenewAsync(lease.LeaseId, Token)).AssertError(HttpStatusCode.NotFound, KeyServiceErrors.LeaseNotFound);

        // The log kept every entry from before, and goes on from there.
        var (entries, _) = await AuditTests.ReadPagedAsync(harness.Client(scenario.Owner), scenario.Model);
        Assert.Equal(before.Audit, entries.Take(before.Audit.Count));
        Assert.Equal(AuditActions.Released, entries[^1].Action);
        AuditTests.AssertChain(entries);
        Assert.Null(await KeyServiceServer.VerifyAuditAsync(harness.DataDirectory, Token));
    }

    [Fact]
    public async Task ProcessKilledDuringConcurrentWrites_EveryAcknowledgedWriteSurvives_AndTheChainVerifies()
    {
        const int Writers = 8;
        const int Budget = 200;
        const int KillAfterAcknowledged = 60;
        var time = TimeProvider.System;
        var data = KeyServiceHarness.NewTemporaryDirectory();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        var ct = deadline.Token;
        var identities = Enumerable.Range(0, Writers).Select(_ => PrincipalIdentity.Create()).ToArray();
        var certificates = identities.Select(i => i.CreateClientCertificate(time)).ToArray();
        var acknowledged = new ConcurrentBag<Write>();
        try
        {
            int attempted;
            string measurement;
            await using (var first = await KeyServiceProcess.StartAsync(data, ct))
            {
                measurement = first.Profile.Measurement;
                var budget = Budget;
                var killPoint = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(
                    async () =>
                    {
                        using var api = new ApiClient(first.Url, certificates[w], first.ServerValidator(time));
                        var owner = identities[w].Id.Value;
                        for (var n = 0; Interlocked.Decrement(ref budget) >= 0; n++)
                        {
                            var write = n == 0 ? new Write(w, "principal", owner)
                                : n % 2 == 1 ? new Write(w, "model", $"{owner}/m{n / 2}")
                                : new Write(w, "grant", $"{owner}/m{(n / 2) - 1}");
                            if (!await TryWriteAsync(api, write, ct))
                            {
                                return;
                            }

                            acknowledged.Add(write);
                            if (acknowledged.Count >= KillAfterAcknowledged)
                            {
                                killPoint.TrySetResult();
                            }
                        }
                    },
                    ct)).ToArray();

                var allDone = Task.WhenAll(writers);
                await Task.WhenAny(killPoint.Task, allDone).WaitAsync(ct);
                await first.KillAsync(ct);
                await allDone.WaitAsync(ct);
                attempted = Budget - Math.Max(budget, 0);
                Assert.True(first.HasExited);
                Assert.True(acknowledged.Count >= KillAfterAcknowledged, first.Output);
                TestContext.Current.TestOutputHelper?.WriteLine($"SIGKILL (exit code {first.ExitCode}) after {acknowledged.Count} acknowledged of {attempted} attempted writes");
            }

            // The kill came in the middle: some writes were still to come or cut in flight.
            Assert.True(acknowledged.Count < Budget, $"all {Budget} writes finished before the kill");

            await using var second = await KeyServiceProcess.StartAsync(data, ct);
            Assert.Equal(measurement, second.Profile.Measurement);
            foreach (var byWriter in acknowledged.GroupBy(a => a.Writer))
            {
                using var api = new ApiClient(second.Url, certificates[byWriter.Key], second.ServerValidator(time));
                await AssertPresentAsync(api, identities[byWriter.Key].Id.Value, [.. byWriter], ct);
            }

            await second.KillAsync(ct);
            Assert.Null(await KeyServiceServer.VerifyAuditAsync(data, ct));
            Assert.InRange(acknowledged.Count, KillAfterAcknowledged, attempted);
        }
        finally
        {
            foreach (var disposable in certificates.Cast<IDisposable>().Concat(identities))
            {
                disposable.Dispose();
            }

            KeyServiceHarness.DeleteDirectory(data);
        }
    }

    /// <summary>One write of a writer: registering itself, a model, or a grant on its last model (to itself as the user).</summary>
    private sealed record Write(int Writer, string Kind, string Id);

    private static async Task<bool> TryWriteAsync(ApiClient api, Write write, CancellationToken cancellationToken)
    {
        try
        {
            var reply = write.Kind switch
            {
                "principal" => await api.RegisterAsync(cancellationToken),
                "model" => await api.RegisterModelAsync(write.Id[(write.Id.IndexOf('/', StringComparison.Ordinal) + 1)..], cancellationToken),
                _ => await api.GrantAsync(write.Id, write.Id[..PrincipalId.Length], KeyServiceHarness.RuntimeA.Measurement.ToString(), cancellationToken),
            };

            // Before the kill every write succeeds; after it, nothing answers at all.
            Assert.True(reply.IsSuccess, $"{write}: {reply}");
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task AssertPresentAsync(ApiClient api, string owner, IReadOnlyList<Write> writes, CancellationToken cancellationToken)
    {
        var me = (await api.GetAsync(KeyServiceRoutes.Me, cancellationToken)).Read(Json.PrincipalInfo, HttpStatusCode.OK);
        Assert.Equal(owner, me.PrincipalId);
        var models = (await api.GetAsync(KeyServiceRoutes.Models, cancellationToken)).Read(Json.ModelList).Models.Select(m => m.ModelId).ToHashSet();
        foreach (var write in writes.Where(w => w.Kind == "model"))
        {
            Assert.Contains(write.Id, models);
        }

        foreach (var write in writes.Where(w => w.Kind == "grant"))
        {
            var grants = (await api.GetAsync($"{KeyServiceRoutes.Grants}?model={Uri.EscapeDataString(write.Id)}", cancellationToken)).Read(Json.GrantList);
            Assert.Contains(grants.Grants, g => g.User == owner && g.Measurement == KeyServiceHarness.RuntimeA.Measurement.ToString());
            var audit = (await api.ReadAuditAsync(write.Id, 0, 100, cancellationToken)).Read(Json.AuditPage);
            Assert.Equal([AuditActions.ModelRegistered, AuditActions.Granted], audit.Entries.Select(e => e.Action));
            AuditTests.AssertChain(audit.Entries);
        }
    }

    /// <summary>Everything the owner and the user can list about the model, and its audit log.</summary>
    private static async Task<Snapshot> SnapshotAsync(KeyServiceHarness harness, PrincipalIdentity ownerIdentity, PrincipalIdentity userIdentity, string model)
    {
        var owner = harness.Client(ownerIdentity);
        var user = harness.Client(userIdentity);
        var me = (await owner.GetAsync(KeyServiceRoutes.Me, Token)).Read(Json.PrincipalInfo);
        var models = (await owner.GetAsync(KeyServiceRoutes.Models, Token)).Read(Json.ModelList);
        var keys = (await owner.GetAsync($"{KeyServiceRoutes.ModelKeys}?model={Uri.EscapeDataString(model)}", Token)).Read(Json.ModelKeyList);
        var grants = (await owner.GetAsync($"{KeyServiceRoutes.Grants}?model={Uri.EscapeDataString(model)}", Token)).Read(Json.GrantList);
        var requestKeys = (await user.GetAsync(KeyServiceRoutes.RequestKeys, Token)).Read(Json.RequestKeyList);
        var (audit, _) = await AuditTests.ReadPagedAsync(owner, model);
        return new Snapshot(me, [.. models.Models], [.. keys.Versions], [.. grants.Grants], [.. requestKeys.Keys], audit);
    }

    private sealed record Snapshot(
        PrincipalInfo Owner,
        List<ModelInfo> Models,
        List<KeyVersionInfo> Keys,
        List<GrantInfo> Grants,
        List<RequestKeyInfo> RequestKeys,
        List<AuditEntry> Audit)
    {
        public bool Equals(Snapshot? other) =>
            other is not null && Owner == other.Owner && Models.SequenceEqual(other.Models) && Keys.SequenceEqual(other.Keys)
            && Grants.SequenceEqual(other.Grants) && RequestKeys.SequenceEqual(other.RequestKeys) && Audit.SequenceEqual(other.Audit);

        public override int GetHashCode() => Owner.GetHashCode();

        public override string ToString() =>
            $"owner {Owner}; models [{string.Join(", ", Models)}]; keys [{string.Join(", ", Keys)}]; grants [{string.Join(", ", Grants)}]; request keys [{string.Join(", ", RequestKeys)}]; {Audit.Count} audit entries";
    }
}
