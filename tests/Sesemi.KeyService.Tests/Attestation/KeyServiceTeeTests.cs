using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sesemi.KeyService.Attestation;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;
using Sesemi.Security.RaTls;
using Sesemi.TestUtilities;

namespace Sesemi.KeyService.Tests.Attestation;

public sealed class KeyServiceTeeTests
{
    private const string PinA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string PinB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static Measurement MeasurementFor(SimulatedTee tee, KeyServiceOptions options) =>
        KeyServiceTee.Simulated(tee.Platform, options, tee.Time).Measurement;

    [Fact]
    public void Simulated_EqualOptions_GiveTheSameMeasurement()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));

        var first = MeasurementFor(tee, new KeyServiceOptions { AcceptSimulatedRuntimes = true, SimulatedRootPins = [PinA] });
        var second = MeasurementFor(tee, new KeyServiceOptions { AcceptSimulatedRuntimes = true, SimulatedRootPins = [PinA] });

        Assert.Equal(first, second);
    }

    [Fact]
    public void Simulated_AnotherPlatform_GivesTheSameMeasurement()
    {
        // The measurement is of the code and settings, not of the (per-machine) simulated root.
        using var one = new SimulatedTee(new FakeTimeProvider(Start));
        using var two = new SimulatedTee(new FakeTimeProvider(Start.AddDays(3)));

        Assert.Equal(MeasurementFor(one, new KeyServiceOptions()), MeasurementFor(two, new KeyServiceOptions()));
    }

    public static TheoryData<string> SecuritySettingChanges => [.. Changed().Keys];

    private static Dictionary<string, KeyServiceOptions> Changed() => new(StringComparer.Ordinal)
    {
        ["accept simulated runtimes"] = new() { AcceptSimulatedRuntimes = true },
        ["lease 31 s"] = new() { LeaseDuration = TimeSpan.FromSeconds(31) },
        ["lease 30.001 s"] = new() { LeaseDuration = TimeSpan.FromMilliseconds(30_001) },
        ["one extra root pin"] = new() { SimulatedRootPins = [PinA] },
        ["another extra root pin"] = new() { SimulatedRootPins = [PinB] },
        ["two extra root pins"] = new() { SimulatedRootPins = [PinA, PinB] },
        ["a runtime policy"] = new() { RuntimePolicy = new AttestationPolicy { AnyMeasurement = true }, RuntimePolicyDigest = PinA },
    };

    [Theory]
    [MemberData(nameof(SecuritySettingChanges))]
    public void Simulated_SecuritySettingChanged_ChangesTheMeasurement(string change)
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));

        Assert.NotEqual(MeasurementFor(tee, new KeyServiceOptions()), MeasurementFor(tee, Changed()[change]));
    }

    [Fact]
    public void Simulated_EverySecuritySettingVariant_IsDistinct()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));

        var measurements = Changed().Values.Append(new KeyServiceOptions()).Select(o => MeasurementFor(tee, o)).ToList();

        Assert.Equal(measurements.Count, measurements.Distinct().Count());
    }

    [Fact]
    public void Simulated_RootPinsInAnotherOrder_GiveTheSameMeasurement()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));

        Assert.Equal(
            MeasurementFor(tee, new KeyServiceOptions { SimulatedRootPins = [PinA, PinB] }),
            MeasurementFor(tee, new KeyServiceOptions { SimulatedRootPins = [PinB, PinA] }));
    }

    [Fact]
    public void Simulated_NonSecuritySettings_DoNotChangeTheMeasurement()
    {
        // As defined: only what changes how keys are handed out is measured (MeasuredConfiguration).
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        var changed = new KeyServiceOptions { DataDirectory = "/elsewhere", ListenAddress = "0.0.0.0", Port = 0, MaxRequestBodyBytes = 4096, MaxLeases = 7 };

        Assert.Equal(MeasurementFor(tee, new KeyServiceOptions()), MeasurementFor(tee, changed));
    }

    [Fact]
    public void Simulated_Measurement_IsASimulatedMeasurementOfCodeAndConfiguration()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        var options = new KeyServiceOptions { AcceptSimulatedRuntimes = true };

        var keyService = KeyServiceTee.Simulated(tee.Platform, options, tee.Time);

        Assert.Equal(TeeKind.Simulated, keyService.Measurement.Kind);
        Assert.StartsWith("sim:mrenclave:", keyService.Measurement.ToString(), StringComparison.Ordinal);
        Assert.Equal(TeeKind.Simulated, keyService.Provider.Kind);
        var expected = SimulatedEnclave.MeasureParts(KeyServiceTee.MeasuredCode(), KeyServiceTee.MeasuredConfiguration(options));
        Assert.Equal(Measurement.FromBytes(TeeKind.Simulated, expected), keyService.Measurement);
    }

    [Fact]
    public void MeasuredConfiguration_IsTheCanonicalSettingsString()
    {
        var options = new KeyServiceOptions { AcceptSimulatedRuntimes = true, LeaseDuration = TimeSpan.FromSeconds(45), SimulatedRootPins = [PinB, PinA] };

        var text = Encoding.UTF8.GetString(KeyServiceTee.MeasuredConfiguration(options));

        Assert.Equal($"accept-simulated-runtimes=True;lease-ms=45000;simulated-roots={PinA},{PinB}", text);
        Assert.Equal("accept-simulated-runtimes=False;lease-ms=30000;simulated-roots=", Encoding.UTF8.GetString(KeyServiceTee.MeasuredConfiguration(new KeyServiceOptions())));
    }

    [Fact]
    public void MeasuredCode_CoversTheFourAssembliesAndIsStable()
    {
        var code = KeyServiceTee.MeasuredCode().ToList();

        Assert.Equal(code.SelectMany(p => p.Code), KeyServiceTee.MeasuredCode().SelectMany(p => p.Code));
        var names = code.Select(p => p.Name).ToList();
        Assert.All(code, p => Assert.NotEmpty(p.Code));
        Assert.Equal(["Sesemi.KeyService", "Sesemi.Security", "Sesemi.Contracts", "Sesemi.Hosting"], names);
    }

    [Fact]
    public async Task Simulated_Provider_MakesCertificatesThatVerifyWithTheMeasurement()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        var keyService = KeyServiceTee.Simulated(tee.Platform, new KeyServiceOptions(), tee.Time);

        using var certificate = await RaTlsCertificate.CreateAsync(keyService.Provider, "keyservice", tee.Time, cancellationToken: Cancellation);
        var result = tee.RaTlsVerifier().Verify(certificate, AttestationPolicy.SimulationFor(keyService.Measurement));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(keyService.Measurement, result.Value!.Measurement);
    }

    [Fact]
    public void Simulated_RuntimeVerifiers_PinThePlatformRoot()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));

        var keyService = KeyServiceTee.Simulated(tee.Platform, new KeyServiceOptions(), tee.Time);

        var verifier = Assert.Single(keyService.RuntimeVerifiers.OfType<SimulatedEvidenceVerifier>());
        Assert.Equal([tee.Platform.RootPin], verifier.PinnedRoots);
    }

    [Fact]
    public void Simulated_RuntimeVerifiers_PinThePlatformRootAndExtraPinsOnce()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        var options = new KeyServiceOptions { SimulatedRootPins = [PinA, tee.Platform.RootPin, PinA] };

        var keyService = KeyServiceTee.Simulated(tee.Platform, options, tee.Time);

        var verifier = Assert.Single(keyService.RuntimeVerifiers.OfType<SimulatedEvidenceVerifier>());
        Assert.Equal(new[] { PinA, tee.Platform.RootPin }.Order(StringComparer.Ordinal), verifier.PinnedRoots.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Simulated_RuntimeVerifiers_AcceptRuntimesOnThePlatform()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        var keyService = KeyServiceTee.Simulated(tee.Platform, new KeyServiceOptions(), tee.Time);

        var evidence = await RuntimeEvidenceAsync(tee);
        var result = Assert.Single(keyService.RuntimeVerifiers, v => v.Kind == TeeKind.Simulated).Verify(evidence, tee.Time.GetUtcNow());

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public async Task Simulated_RuntimeVerifiers_RefuseRuntimesOnAnotherPlatform()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        using var elsewhere = new SimulatedTee(tee.Time);
        var keyService = KeyServiceTee.Simulated(tee.Platform, new KeyServiceOptions(), tee.Time);

        var evidence = await RuntimeEvidenceAsync(elsewhere);
        var result = Assert.Single(keyService.RuntimeVerifiers, v => v.Kind == TeeKind.Simulated).Verify(evidence, tee.Time.GetUtcNow());

        Assert.Equal(AttestationFailure.UntrustedRoot, result.Failure);
    }

    [Fact]
    public async Task Simulated_RuntimeVerifiers_AcceptAnotherPlatformWhosePinIsConfigured()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        using var elsewhere = new SimulatedTee(tee.Time);
        var keyService = KeyServiceTee.Simulated(tee.Platform, new KeyServiceOptions { SimulatedRootPins = [elsewhere.Platform.RootPin] }, tee.Time);

        var evidence = await RuntimeEvidenceAsync(elsewhere);
        var result = Assert.Single(keyService.RuntimeVerifiers, v => v.Kind == TeeKind.Simulated).Verify(evidence, tee.Time.GetUtcNow());

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void Simulated_NullArguments_Throw()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));

        Assert.Throws<ArgumentNullException>(() => KeyServiceTee.Simulated(null!, new KeyServiceOptions(), tee.Time));
        Assert.Throws<ArgumentNullException>(() => KeyServiceTee.Simulated(tee.Platform, null!, tee.Time));
    }

    private static async Task<Evidence> RuntimeEvidenceAsync(SimulatedTee tee)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return await tee.Provider(SimulatedTee.Enclave("runtime")).GetEvidenceAsync(EvidenceClaims.Create(key.ExportSubjectPublicKeyInfo()), Cancellation);
    }

    [Fact]
    public void Simulated_VerifiesRuntimesOnEveryTee()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));

        var verifiers = KeyServiceTee.Simulated(tee.Platform, new KeyServiceOptions(), tee.Time).RuntimeVerifiers;

        Assert.Equal([TeeKind.Simulated, TeeKind.SgxDcap, TeeKind.Tdx, TeeKind.SevSnp], verifiers.Select(v => v.Kind));
    }

    [Fact]
    public void RuntimePolicy_Default_IsProduction_AndSimulationFollowsTheOption()
    {
        var production = KeyServiceTee.RuntimePolicy(new KeyServiceOptions());
        var development = KeyServiceTee.RuntimePolicy(new KeyServiceOptions { AcceptSimulatedRuntimes = true });

        Assert.True(production.AnyMeasurement);
        Assert.False(production.AllowSimulation);
        Assert.False(production.AllowDebug);
        Assert.True(production.RequireCompleteCollateral);
        Assert.Equal([TcbStatus.UpToDate], production.AcceptedTcbStatuses);
        Assert.True(development.AllowSimulation);
    }

    [Fact]
    public void RuntimePolicy_OwnersFile_Decides_EvenInDevelopment()
    {
        var owner = AttestationPolicyFile.Parse("""{ "snp": { "measurements": "any", "minimumTcb": { "snp": 8 } } }"""u8);

        var production = KeyServiceTee.RuntimePolicy(new KeyServiceOptions { RuntimePolicy = owner, RuntimePolicyDigest = PinA });
        var development = KeyServiceTee.RuntimePolicy(new KeyServiceOptions { RuntimePolicy = owner, RuntimePolicyDigest = PinA, AcceptSimulatedRuntimes = true });

        Assert.Equal([TeeKind.SevSnp], production.AllowedKinds!);
        Assert.False(production.AllowSimulation);
        Assert.Equal([TeeKind.SevSnp], development.AllowedKinds!);
        Assert.False(development.AllowSimulation);
        Assert.Equal(8, development.Rules[TeeKind.SevSnp].MinimumTcbSvns["snp"]);
    }

    [Fact]
    public void Simulated_WithCollateralThatIsNotCollateral_RefusesToStart()
    {
        using var tee = new SimulatedTee(new FakeTimeProvider(Start));
        var options = new KeyServiceOptions { IntelCollateral = [Encoding.UTF8.GetBytes("{\"hello\": 1}")] };

        var error = Assert.Throws<InvalidOperationException>(() => KeyServiceTee.Simulated(tee.Platform, options, tee.Time));

        Assert.Contains("Intel collateral", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeCheck_OnGraminesRealRaTlsCertificate_RefusesTheDebugEnclave_UnlessTheOwnerAllowsIt()
    {
        var path = SharedTestData.Find("attestation/sgx-ratls-cert-gramine.pem");
        Assert.SkipWhen(path is null, SharedTestData.MissingReason("attestation/sgx-ratls-cert-gramine.pem"));
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(path!));
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var tee = new SimulatedTee(time);
        var owner = AttestationPolicyFile.Parse("""
            { "allowDebug": true, "acceptedTcbStatuses": ["Unknown"], "requireCompleteCollateral": false,
              "sgx": { "measurements": ["0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585"] } }
            """u8);
        RaTlsVerifier Verifier(KeyServiceOptions options) =>
            new(new EvidenceVerifier(KeyServiceTee.Simulated(tee.Platform, options, time).RuntimeVerifiers, time));

        var production = Verifier(new KeyServiceOptions()).Verify(certificate, KeyServiceTee.RuntimePolicy(new KeyServiceOptions()));
        var ownerOptions = new KeyServiceOptions { RuntimePolicy = owner, RuntimePolicyDigest = PinA };
        var accepted = Verifier(ownerOptions).Verify(certificate, KeyServiceTee.RuntimePolicy(ownerOptions));

        Assert.Equal(AttestationFailure.DebugNotAllowed, production.Failure);
        Assert.True(accepted.IsValid, accepted.ToString());
        Assert.Equal("sgx:mrenclave:0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585", accepted.Value!.Measurement.ToString());
    }
}
