using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Simulated;

namespace Sesemi.Security.Tests.Attestation;

public sealed class SimulatedEnclaveTests
{
    [Fact]
    public void Measure_SameInput_IsStable()
    {
        var code = "trusted core build"u8.ToArray();
        var configuration = "{\"models\":[]}"u8.ToArray();

        var first = SimulatedEnclave.Measure(code, configuration);
        var second = SimulatedEnclave.Measure(code.ToArray(), configuration.ToArray());

        Assert.Equal(32, first.Length);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Measure_OneCodeByteChanged_Changes()
    {
        var code = "trusted core build"u8.ToArray();
        var configuration = "config"u8.ToArray();
        var baseline = SimulatedEnclave.Measure(code, configuration);

        code[5] ^= 0x01;

        Assert.NotEqual(baseline, SimulatedEnclave.Measure(code, configuration));
    }

    [Fact]
    public void Measure_OneConfigurationByteChanged_Changes()
    {
        var code = "trusted core build"u8.ToArray();
        var configuration = "config"u8.ToArray();
        var baseline = SimulatedEnclave.Measure(code, configuration);

        configuration[^1] ^= 0x01;

        Assert.NotEqual(baseline, SimulatedEnclave.Measure(code, configuration));
    }

    [Fact]
    public void Measure_ByteMovedBetweenCodeAndConfiguration_Changes()
    {
        Assert.NotEqual(SimulatedEnclave.Measure("abc"u8, "def"u8), SimulatedEnclave.Measure("abcd"u8, "ef"u8));
        Assert.NotEqual(SimulatedEnclave.Measure("abc"u8, default), SimulatedEnclave.Measure(default, "abc"u8));
    }

    [Fact]
    public void Measure_AppendedByte_Changes()
    {
        Assert.NotEqual(SimulatedEnclave.Measure("code"u8, "config"u8), SimulatedEnclave.Measure("code"u8, "config\0"u8));
    }

    [Fact]
    public void Measurement_IsSimulatedMrEnclave()
    {
        var mrEnclave = SimulatedEnclave.Measure("code"u8, "config"u8);
        var enclave = new SimulatedEnclave(mrEnclave, SimulatedEnclave.DefaultSigner, debug: false);

        Assert.Equal(TeeKind.Simulated, enclave.Measurement.Kind);
        Assert.Equal(Convert.ToHexStringLower(mrEnclave), enclave.Measurement.Hex);
    }

    [Theory]
    [InlineData(31, 32)]
    [InlineData(33, 32)]
    [InlineData(32, 0)]
    [InlineData(32, 48)]
    public void Constructor_WrongLengths_Throws(int enclaveLength, int signerLength)
    {
        Assert.Throws<ArgumentException>(() => new SimulatedEnclave(new byte[enclaveLength], new byte[signerLength]));
    }

    [Fact]
    public void DefaultSigner_IsStable32Bytes()
    {
        Assert.Equal(32, SimulatedEnclave.DefaultSigner.Length);
        Assert.Equal(SimulatedEnclave.DefaultSigner, SimulatedEnclave.DefaultSigner);
    }

    [Fact]
    public void MeasureParts_IsTheMeasureOfTheLengthPrefixedConcatenation_InOrder()
    {
        (string, byte[])[] parts = [("A", [1, 2, 3]), ("Bé", [])];
        byte[] expected =
        [
            0, 0, 0, 0, 0, 0, 0, 1, (byte)'A', 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3,
            0, 0, 0, 0, 0, 0, 0, 3, (byte)'B', 0xC3, 0xA9, 0, 0, 0, 0, 0, 0, 0, 0,
        ];

        Assert.Equal(SimulatedEnclave.Measure(expected, "cfg"u8), SimulatedEnclave.MeasureParts(parts, "cfg"u8));
        Assert.NotEqual(SimulatedEnclave.MeasureParts(parts, "cfg"u8), SimulatedEnclave.MeasureParts(Enumerable.Reverse(parts), "cfg"u8));
    }
}
