using System.Globalization;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel.Collateral;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.KeyService.Attestation;

/// <summary>
/// The TEE the KeyService runs in: what makes its attested TLS certificate (<see cref="Provider"/>), the measurement
/// that certificate shows, and the verifiers of runtime evidence.
/// </summary>
public sealed record KeyServiceTee(IEvidenceProvider Provider, Measurement Measurement, IReadOnlyList<IEvidenceVerifier> RuntimeVerifiers)
{
    /// <summary>
    /// The simulated roots the KeyService's own evidence chains to, published in <c>connection.json</c> for clients;
    /// roots accepted only for runtimes are not among them. Empty on hardware TEEs (their roots ship with Sesemi).
    /// </summary>
    public IReadOnlyList<string> ServerRootPins { get; init; } = [];

    /// <summary>
    /// The simulated TEE: the KeyService's measurement is that of its assemblies' bytes (see <see cref="MeasuredCode"/>) and its security settings
    /// (whether simulated runtimes are accepted, the lease, the simulated roots), so clients can tell a development
    /// KeyService from a production one. Runtime evidence is verified against the platform's root and any extra pins.
    /// </summary>
    public static KeyServiceTee Simulated(SimulatedPlatform platform, KeyServiceOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(options);
        var enclave = new SimulatedEnclave(SimulatedEnclave.MeasureParts(MeasuredCode(), MeasuredConfiguration(options)), SimulatedEnclave.DefaultSigner);
        var pins = options.SimulatedRootPins.Append(platform.RootPin).Distinct(StringComparer.Ordinal).ToArray();
        return new KeyServiceTee(new SimulatedEvidenceProvider(platform, enclave, time), enclave.Measurement, [new SimulatedEvidenceVerifier(pins), .. HardwareVerifiers.Create(IntelCollateralOf(options))])
        {
            ServerRootPins = [platform.RootPin],
        };
    }

    /// <summary>
    /// The policy runtime evidence is checked against: the owner's file (simulated runtimes only when both it and
    /// <see cref="KeyServiceOptions.AcceptSimulatedRuntimes"/> allow them), or else any measurement (grants decide)
    /// with the production defaults and simulated runtimes exactly when <see cref="KeyServiceOptions.AcceptSimulatedRuntimes"/>.
    /// </summary>
    public static AttestationPolicy RuntimePolicy(KeyServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RuntimePolicy is { } owners)
        {
            // The owner's file decides, and simulation needs both the file and the development setting.
            return owners with { AllowSimulation = owners.AllowSimulation && options.AcceptSimulatedRuntimes };
        }

        var policy = new AttestationPolicy { AnyMeasurement = true };
        if (!options.AcceptSimulatedRuntimes)
        {
            return policy with { AllowSimulation = false };
        }

        var rules = new Dictionary<TeeKind, TeeRules>(policy.Rules);
        rules.TryAdd(TeeKind.Simulated, new TeeRules { AnyMeasurement = true });
        return policy with
        {
            AllowSimulation = true,
            AllowedKinds = policy.AllowedKinds is null ? null : new HashSet<TeeKind>(policy.AllowedKinds) { TeeKind.Simulated },
            Rules = rules,
        };
    }

    /// <summary>The Intel collateral of the options, or null; throws when a piece is not collateral.</summary>
    internal static IntelCollateral? IntelCollateralOf(KeyServiceOptions options)
    {
        if (options.IntelCollateral.Count == 0)
        {
            return null;
        }

        var builder = IntelCollateral.CreateBuilder();
        foreach (var piece in options.IntelCollateral)
        {
            var added = builder.Add(piece);
            if (!added.IsValid)
            {
                throw new InvalidOperationException($"Invalid KeyService options: Intel collateral: {added.Detail}");
            }
        }

        return builder.Build();
    }

    /// <summary>The assemblies a simulated KeyService measures: its own and the Sesemi assemblies it runs, in a fixed order.</summary>
    internal static IEnumerable<(string Name, byte[] Code)> MeasuredCode() =>
        new[] { typeof(KeyServiceTee), typeof(Measurement), typeof(Contracts.KeyService.KeyServiceRoutes), typeof(Sesemi.Hosting.Files.OwnerOnlyFile) }
            .Select(t => (t.Assembly.GetName().Name!, File.ReadAllBytes(t.Assembly.Location)));

    /// <summary>The settings that change what the KeyService will do with keys, in a canonical form.</summary>
    internal static byte[] MeasuredConfiguration(KeyServiceOptions options) => Encoding.UTF8.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"accept-simulated-runtimes={options.AcceptSimulatedRuntimes};lease-ms={(long)options.LeaseDuration.TotalMilliseconds};simulated-roots={string.Join(',', options.SimulatedRootPins.Order(StringComparer.Ordinal))}")
        + (options.RuntimePolicyDigest is { } digest ? $";runtime-policy={digest}" : string.Empty));
}
