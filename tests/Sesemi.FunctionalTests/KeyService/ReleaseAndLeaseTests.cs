using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Envelopes;
using Sesemi.Security.KeyRelease;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// Key release to attested runtimes, leases, revocation and key rotation, on a fake clock: what a release carries and
/// who can open it, when a lease expires, who may renew it, and how revocations and rotations take effect.
/// </summary>
public sealed class ReleaseAndLeaseTests
{
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Release_OpensOnlyWithTheRuntimesCertificateKey_AndCarriesTheUploadedKeys()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, certificate) = await scenario.NewRuntimeAsync();
        var (_, sameMeasurementOtherInstance) = await scenario.NewRuntimeAsync();
        var otherEnclave = await harness.RuntimeCertificateAsync(SimulatedTee.Enclave("runtime-b"));

        var release = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease, HttpStatusCode.OK);

        Assert.Equal((scenario.UserId, scenario.Model, scenario.Measurement), (release.User, release.Model, release.Measurement));
        using (var payload = Open(release, certificate))
        {
            Assert.NotNull(payload);
            AssertKeys(scenario.ModelKeys, payload.ModelKeys);
            AssertKeys(scenario.RequestKeys, payload.RequestKeys);
        }

        // Another runtime, even of the same measurement, cannot open it; nor can anyone under another context.
        Assert.Null(Open(release, sameMeasurementOtherInstance));
        Assert.Null(Open(release, otherEnclave));
        Assert.Null(Open(release with { LeaseId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) }, certificate));
        Assert.Null(Open(release with { Measurement = SimulatedTee.Enclave("runtime-b").Measurement.ToString() }, certificate));
        Assert.Null(Open(release with { User = scenario.Owner.Id.Value }, certificate));
    }

    [Fact]
    public async Task Release_ThroughTheSdk_CarriesTheKeysTheOwnerAndUserUploaded()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var runtime = harness.SdkRuntime(await harness.RuntimeCertificateAsync());

        using var released = await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token);

        Assert.Equal(scenario.Measurement, released.Measurement);
        AssertKeys(scenario.ModelKeys, released.Keys.ModelKeys);
        AssertKeys(scenario.RequestKeys, released.Keys.RequestKeys);
    }

    [Fact]
    public async Task Release_ExpiresAt_IsNowPlusTheConfiguredLease_InTheReplyAndSealedWithTheKeys()
    {
        await using var harness = await KeyServiceHarness.StartAsync(o => o.LeaseDuration = TimeSpan.FromSeconds(45));
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, certificate) = await scenario.NewRuntimeAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(7));

        var release = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        using var payload = Open(release, certificate);
        var info = (await runtime.GetAsync(KeyServiceRoutes.Info, Token)).Read(Json.ServiceInfo);

        var expected = KeyServiceHarness.Start + TimeSpan.FromMinutes(7) + TimeSpan.FromSeconds(45);
        Assert.Equal(expected, release.ExpiresAt);
        Assert.Equal(expected, payload!.ExpiresAt);
        Assert.Equal(45, info.LeaseSeconds);
    }

    [Fact]
    public async Task Renew_BeforeExpiry_ExtendsTheLeaseFromNow_AgainAndAgain()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var release = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);

        harness.Time.Advance(TimeSpan.FromSeconds(20));
        var first = (await runtime.RenewAsync(release.LeaseId, Token)).Read(Json.LeaseInfo, HttpStatusCode.OK);

        // Past the original expiry, but within the renewed one.
        harness.Time.Advance(TimeSpan.FromSeconds(20));
        var second = (await runtime.RenewAsync(release.LeaseId, Token)).Read(Json.LeaseInfo, HttpStatusCode.OK);

        Assert.Equal(release.LeaseId, first.LeaseId);
        Assert.Equal(KeyServiceHarness.Start + TimeSpan.FromSeconds(50), first.ExpiresAt);
        Assert.True(first.ExpiresAt > release.ExpiresAt);
        Assert.Equal(KeyServiceHarness.Start + TimeSpan.FromSeconds(70), second.ExpiresAt);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(31)]
    [InlineData(3600)]
    public async Task Renew_AtOrAfterExpiry_Is410Expired_ThenTheLeaseIsGone_ButANewReleaseWorks(int secondsLater)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var release = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);

        harness.Time.Advance(TimeSpan.FromSeconds(secondsLater));
        var before = await harness.FingerprintAsync();
        var expired = await runtime.RenewAsync(release.LeaseId, Token);
        var again = await runtime.RenewAsync(release.LeaseId, Token);

        expired.AssertError(HttpStatusCode.Gone, KeyServiceErrors.LeaseExpired);
        again.AssertError(HttpStatusCode.NotFound, KeyServiceErrors.LeaseNotFound);
        await harness.AssertUnchangedAsync(before);
        var fresh = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        Assert.NotEqual(release.LeaseId, fresh.LeaseId);
    }

    [Fact]
    public async Task Renew_ByAnotherRuntime_Is403NotHolder_AndTheHolderCanStillRenew()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (holder, _) = await scenario.NewRuntimeAsync();
        var (sameMeasurement, _) = await scenario.NewRuntimeAsync();
        var (otherMeasurement, _) = await scenario.NewRuntimeAsync(SimulatedTee.Enclave("runtime-b"));
        var release = (await holder.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        var before = await harness.FingerprintAsync();

        var bySameMeasurement = await sameMeasurement.RenewAsync(release.LeaseId, Token);
        var byOtherMeasurement = await otherMeasurement.RenewAsync(release.LeaseId, Token);

        bySameMeasurement.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.LeaseNotHolder);
        byOtherMeasurement.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.LeaseNotHolder);
        await harness.AssertUnchangedAsync(before);
        (await holder.RenewAsync(release.LeaseId, Token)).Read(Json.LeaseInfo, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Revoke_RefusesTheNextReleaseAtOnce_AndTheRenewalOfALeaseGrantedBefore()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var release = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);

        (await scenario.OwnerApi.RevokeAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token)).Read(Json.GrantInfo, HttpStatusCode.OK);
        var before = await harness.FingerprintAsync();
        var nextRelease = await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token);
        var renewal = await runtime.RenewAsync(release.LeaseId, Token);
        var renewalAgain = await runtime.RenewAsync(release.LeaseId, Token);

        nextRelease.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotGranted);
        renewal.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotGranted);
        renewalAgain.AssertError(HttpStatusCode.NotFound, KeyServiceErrors.LeaseNotFound);
        await harness.AssertUnchangedAsync(before);

        // Granting again lets new releases through (the old lease stays gone).
        (await scenario.OwnerApi.GrantAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token)).Read(Json.GrantInfo, HttpStatusCode.Created);
        (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Revoke_OfOneMeasurement_LeavesTheOthersGranted()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var enclaveB = SimulatedTee.Enclave("runtime-b");
        (await scenario.OwnerApi.GrantAsync(scenario.Model, scenario.UserId, enclaveB.Measurement.ToString(), Token)).Read(Json.GrantInfo, HttpStatusCode.Created);
        (await scenario.UserApi.AddRequestKeyAsync(scenario.Model, enclaveB.Measurement.ToString(), 1, KeyServiceHarness.NewKey(), Token)).Read(Json.RequestKeyInfo, HttpStatusCode.Created);
        var (runtimeA, _) = await scenario.NewRuntimeAsync();
        var (runtimeB, _) = await scenario.NewRuntimeAsync(enclaveB);

        (await scenario.OwnerApi.RevokeAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token)).Read(Json.GrantInfo, HttpStatusCode.OK);

        (await runtimeA.ReleaseAsync(scenario.UserId, scenario.Model, Token)).AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotGranted);
        var releaseB = (await runtimeB.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease, HttpStatusCode.OK);
        Assert.Equal(enclaveB.Measurement.ToString(), releaseB.Measurement);
    }

    [Fact]
    public async Task Rotation_NewVersionsAreReleasedBesideOldOnes_UntilTheOldAreRetired_AndTheNewestCannotBeRetired()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var owner = harness.Sdk(scenario.Owner);
        var user = harness.Sdk(scenario.User);
        var runtime = harness.SdkRuntime(await harness.RuntimeCertificateAsync());

        await AssertReleasedVersionsAsync(runtime, scenario, models: [1], requests: [1]);

        var v2 = KeyServiceHarness.NewKey();
        var added = await owner.AddModelKeyAsync(scenario.Model, 2, v2, Token);
        scenario.ModelKeys[2] = v2;
        Assert.Equal(KeyServiceHarness.KeyIdOf(v2), added.KeyId);
        await AssertReleasedVersionsAsync(runtime, scenario, models: [1, 2], requests: [1]);

        var retired = await owner.RetireModelKeyAsync(scenario.Model, 1, Token);
        Assert.Equal(harness.Time.GetUtcNow(), retired.RetiredAt);
        await AssertReleasedVersionsAsync(runtime, scenario, models: [2], requests: [1]);

        var latest = await Assert.ThrowsAsync<KeyServiceException>(() => owner.RetireModelKeyAsync(scenario.Model, 2, Token));
        Assert.Equal(KeyServiceErrors.RetireLatest, latest.Code);
        Assert.Equal(HttpStatusCode.Conflict, latest.Status);

        // The user's request key rotates by the same rules.
        var r2 = KeyServiceHarness.NewKey();
        await user.AddRequestKeyAsync(scenario.Model, scenario.Measurement, 2, r2, Token);
        scenario.RequestKeys[2] = r2;
        await AssertReleasedVersionsAsync(runtime, scenario, models: [2], requests: [1, 2]);
        await user.RetireRequestKeyAsync(scenario.Model, scenario.Measurement, 1, Token);
        await AssertReleasedVersionsAsync(runtime, scenario, models: [2], requests: [2]);

        var versions = await owner.ListModelKeysAsync(scenario.Model, Token);
        Assert.Equal([(1, true), (2, false)], versions.Versions.Select(v => (v.Version, v.RetiredAt is not null)));
    }

    [Theory]
    [InlineData("rotate model key")]
    [InlineData("retire model key")]
    [InlineData("rotate request key")]
    [InlineData("retire request key")]
    public async Task Renew_AfterAKeyChange_Is409KeysChanged_AndANewReleaseCarriesTheNewSet(string change)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var owner = harness.Sdk(scenario.Owner);
        var user = harness.Sdk(scenario.User);
        await owner.AddModelKeyAsync(scenario.Model, 2, KeyServiceHarness.NewKey(), Token);
        await user.AddRequestKeyAsync(scenario.Model, scenario.Measurement, 2, KeyServiceHarness.NewKey(), Token);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var release = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        (await runtime.RenewAsync(release.LeaseId, Token)).Read(Json.LeaseInfo, HttpStatusCode.OK);

        switch (change)
        {
            case "rotate model key":
                await owner.AddModelKeyAsync(scenario.Model, 3, KeyServiceHarness.NewKey(), Token);
                break;
            case "retire model key":
                await owner.RetireModelKeyAsync(scenario.Model, 1, Token);
                break;
            case "rotate request key":
                await user.AddRequestKeyAsync(scenario.Model, scenario.Measurement, 3, KeyServiceHarness.NewKey(), Token);
                break;
            default:
                await user.RetireRequestKeyAsync(scenario.Model, scenario.Measurement, 1, Token);
                break;
        }

        var renewal = await runtime.RenewAsync(release.LeaseId, Token);
        Assert.True(renewal.Status == HttpStatusCode.Conflict && renewal.ErrorCode == KeyServiceErrors.LeaseKeysChanged, renewal.ToString());
        var gone = await runtime.RenewAsync(release.LeaseId, Token);
        Assert.True(gone.Status == HttpStatusCode.NotFound && gone.ErrorCode == KeyServiceErrors.LeaseNotFound, gone.ToString());
        var fresh = (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease);
        (await runtime.RenewAsync(fresh.LeaseId, Token)).Read(Json.LeaseInfo, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Release_WhenTheLeaseTableIsFull_IsRefusedWithServiceUnavailable_AndChangesNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync(o => o.MaxLeases = 1);
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease, HttpStatusCode.OK);
        var before = await harness.FingerprintAsync();

        var refused = await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token);

        // §6.3: service.unavailable means nothing changed; §6.2: nothing is in the log that was not released.
        refused.AssertError(HttpStatusCode.ServiceUnavailable, KeyServiceErrors.Unavailable);
        await harness.AssertUnchangedAsync(before);

        // Once the first lease has expired, there is room again.
        harness.Time.Advance(KeyServiceHarness.DefaultLease);
        (await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token)).Read(Json.KeyRelease, HttpStatusCode.OK);
    }

    /// <summary>Opens a release with the private key of <paramref name="certificate"/>; null when it does not open.</summary>
    internal static KeyReleasePayload? Open(KeyRelease release, X509Certificate2 certificate)
    {
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var context = KeyReleasePayload.Context(release.LeaseId, release.User, release.Model, release.Measurement);
        var error = KeyReleaseSeal.TryOpen(recipient, Convert.FromBase64String(release.Sealed), context, out var opened);
        if (opened is null)
        {
            Assert.NotEqual(EnvelopeError.None, error);
            return null;
        }

        try
        {
            Assert.True(KeyReleasePayload.TryDecode(opened, out var payload));
            return payload;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(opened);
        }
    }

    /// <summary>Asserts that <paramref name="released"/> are exactly the <paramref name="uploaded"/> versions: same ids, same bytes.</summary>
    internal static void AssertKeys(IReadOnlyDictionary<int, byte[]> uploaded, IReadOnlyList<VersionedKey> released)
    {
        Assert.Equal(uploaded.Keys.Order(), released.Select(k => k.Version));
        foreach (var key in released)
        {
            Assert.Equal(KeyServiceHarness.KeyIdOf(uploaded[key.Version]), key.Key.Id.ToString());
            var bytes = new byte[32];
            key.Key.ExportTo(bytes);
            Assert.Equal(uploaded[key.Version], bytes);
        }
    }

    private static async Task AssertReleasedVersionsAsync(RuntimeKeyClient runtime, Scenario scenario, int[] models, int[] requests)
    {
        using var released = await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token);
        AssertKeys(scenario.ModelKeys.Where(k => models.Contains(k.Key)).ToDictionary(), released.Keys.ModelKeys);
        AssertKeys(scenario.RequestKeys.Where(k => requests.Contains(k.Key)).ToDictionary(), released.Keys.RequestKeys);
    }
}
