using System.Buffers.Binary;
using Sesemi.Security.Attestation.Intel.Collateral;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

public sealed class OpenEnclaveEndorsementsTests
{
    [Fact]
    public void TryParse_NineElements_SplitsAndTrims()
    {
        var bundle = Bundle([1, 0, 0, 0], [.. "{tcb}"u8, 0], [.. "chain1"u8, 0], [0x30, 0x03, 0x02, 0x01, 0x07, 0], [0x30, 0x00], [.. "chain2"u8, 0], [.. "{qe}"u8, 0], [.. "chain3"u8, 0], [.. "2030-01-01T00:00:00Z"u8, 0]);

        Assert.True(OpenEnclaveEndorsements.TryParse(bundle, out var parsed, out var error), error);

        Assert.Equal((2u, 1u), (parsed.EnclaveType, parsed.EndorsementVersion));
        Assert.Equal("{tcb}"u8.ToArray(), parsed.TcbInfo.ToArray());
        Assert.Equal("chain1"u8.ToArray(), parsed.TcbInfoIssuerChain.ToArray());
        Assert.Equal(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x07 }, parsed.PckCrl.ToArray());
        Assert.Equal(new byte[] { 0x30, 0x00 }, parsed.RootCaCrl.ToArray());
        Assert.Equal("chain2"u8.ToArray(), parsed.PckCrlIssuerChain.ToArray());
        Assert.Equal("{qe}"u8.ToArray(), parsed.QeIdentity.ToArray());
        Assert.Equal("chain3"u8.ToArray(), parsed.QeIdentityIssuerChain.ToArray());
        Assert.Equal("2030-01-01T00:00:00Z", parsed.CreationDateTime);
    }

    [Fact]
    public void TryParse_EmptyElements_Allowed()
    {
        var bundle = Bundle([1, 0, 0, 0], [], [], [], [], [], [], [], []);

        Assert.True(OpenEnclaveEndorsements.TryParse(bundle, out var parsed, out _));
        Assert.True(parsed.TcbInfo.IsEmpty);
        Assert.Null(parsed.CreationDateTime);
    }

    [Theory]
    [InlineData(0, 2u, "version 2")]
    [InlineData(12, 8u, "8 elements")]
    [InlineData(8, 1000u, "buffer_size 1000")]
    [InlineData(24, 3u, "offset 2 (3)")]
    [InlineData(16, 1u, "offset 0 (1)")]
    [InlineData(48, 100000u, "offset 8 (100000)")]
    public void TryParse_BadHeader_FailsWithReason(int at, uint value, string expected)
    {
        var bundle = Bundle([1, 0, 0, 0], [.. "{tcb}"u8, 0], [], [], [], [], [], [], []);
        BinaryPrimitives.WriteUInt32LittleEndian(bundle.AsSpan(at), value);

        Assert.False(OpenEnclaveEndorsements.TryParse(bundle, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_EveryTruncation_FailsWithoutThrowing()
    {
        var bundle = Bundle([1, 0, 0, 0], [.. "{tcb}"u8, 0], [.. "chain"u8, 0], [], [], [], [], [], []);

        for (var length = 0; length < bundle.Length; length++)
        {
            Assert.False(OpenEnclaveEndorsements.TryParse(bundle.AsMemory(0, length), out _, out _), $"length {length}");
        }
    }

    [Fact]
    public void SkipCommentLines_SkipsOnlyLeadingHashLines()
    {
        var bytes = "# one\n# two\n#\nbody # not a comment\n"u8.ToArray();

        Assert.Equal("body # not a comment\n"u8.ToArray(), OpenEnclaveEndorsements.SkipCommentLines(bytes).ToArray());
        Assert.True(OpenEnclaveEndorsements.SkipCommentLines("# no newline"u8.ToArray()).IsEmpty);
    }

    /// <summary>An <c>oe_endorsements_t</c> (version 1, SGX) holding <paramref name="elements"/> as they are.</summary>
    internal static byte[] Bundle(params byte[][] elements)
    {
        var data = elements.SelectMany(e => e).ToArray();
        var bundle = new byte[16 + (4 * elements.Length) + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bundle, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bundle.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bundle.AsSpan(8), (uint)(bundle.Length - 16));
        BinaryPrimitives.WriteUInt32LittleEndian(bundle.AsSpan(12), (uint)elements.Length);
        var offset = 0;
        for (var i = 0; i < elements.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bundle.AsSpan(16 + (4 * i)), (uint)offset);
            offset += elements[i].Length;
        }

        data.CopyTo(bundle.AsSpan(16 + (4 * elements.Length)));
        return bundle;
    }
}
