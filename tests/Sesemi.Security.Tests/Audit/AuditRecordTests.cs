using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Sesemi.Security.Audit;

namespace Sesemi.Security.Tests.Audit;

public sealed class AuditRecordTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    private static readonly byte[] Previous = [.. Enumerable.Range(0, AuditRecord.HashSize).Select(i => (byte)i)];

    private static readonly AuditRecord Record = new(7, At, "owner", AuditActions.Released, "abc/resnet50", null, "sim:mrenclave:ab", 3, "lease \u00fc \u2713");

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);

    [Fact]
    public void ComputeHash_SameRecordAndPrevious_IsDeterministic()
    {
        var copy = Record with { };

        Assert.Equal(Record.ComputeHash(Previous), Record.ComputeHash(Previous));
        Assert.Equal(Record.ComputeHash(Previous), copy.ComputeHash(Previous));
        Assert.Equal(AuditRecord.HashSize, Record.ComputeHash(Previous).Length);
    }

    /// <summary>
    /// Pins docs/protocols.md §6.4: SHA-256("sesemi/v1/audit" ‖ prevHash ‖ sequence i64 ‖ at unix ms i64 ‖ actor ‖
    /// action ‖ model ‖ user ‖ measurement ‖ version i64 (−1 if none) ‖ detail), strings as UTF-8 with an i32 length
    /// prefix (−1 for none), all big-endian. The hex was computed outside .NET (Python hashlib) from that text.
    /// </summary>
    [Fact]
    public void ComputeHash_GoldenVector_MatchesDocumentedLayout()
    {
        const string Expected = "b5ea987d529963205b8294dc4e3ab00b60c3e1d6ac194363a428ad0cacf9fda6";

        var layout = new List<byte>();
        layout.AddRange("sesemi/v1/audit"u8.ToArray());
        layout.AddRange(Previous);
        AddInt64(layout, 7);
        AddInt64(layout, 1_767_323_045_678);
        AddText(layout, "owner");
        AddText(layout, "key.release");
        AddText(layout, "abc/resnet50");
        AddText(layout, null);
        AddText(layout, "sim:mrenclave:ab");
        AddInt64(layout, 3);
        AddText(layout, "lease \u00fc \u2713");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([.. layout]);
        var assembled = hash.GetHashAndReset();

        Assert.Equal(Expected, Hex(assembled));
        Assert.Equal(Expected, Hex(Record.ComputeHash(Previous)));
    }

    [Fact]
    public void ComputeHash_GoldenVector_FirstEntryWithNoOptionalFields()
    {
        var first = new AuditRecord(1, DateTimeOffset.UnixEpoch, string.Empty, AuditActions.PrincipalRegistered, null, null, null, null, null);

        Assert.Equal("9349b1e7886194b625fbc879713c64d594aafc91990a38f23e1d7873bbf2bc9e", Hex(first.ComputeHash(AuditRecord.GenesisHash.Span)));
    }

    public static TheoryData<string> Mutations => [.. Mutated().Keys];

    /// <summary>The record with exactly one field changed, each way the hash must notice.</summary>
    private static Dictionary<string, AuditRecord> Mutated() => new(StringComparer.Ordinal)
    {
        ["sequence"] = Record with { Sequence = 8 },
        ["sequence negative"] = Record with { Sequence = -7 },
        ["at +1ms"] = Record with { At = At.AddMilliseconds(1) },
        ["at -1ms"] = Record with { At = At.AddMilliseconds(-1) },
        ["actor"] = Record with { Actor = "owner2" },
        ["actor empty"] = Record with { Actor = string.Empty },
        ["action"] = Record with { Action = AuditActions.LeaseRenewed },
        ["model"] = Record with { Model = "abc/resnet51" },
        ["model null"] = Record with { Model = null },
        ["model empty"] = Record with { Model = string.Empty },
        ["user set"] = Record with { User = "someone" },
        ["user empty (was null)"] = Record with { User = string.Empty },
        ["measurement"] = Record with { Measurement = "sim:mrenclave:ac" },
        ["measurement null"] = Record with { Measurement = null },
        ["measurement empty"] = Record with { Measurement = string.Empty },
        ["version"] = Record with { Version = 4 },
        ["version null"] = Record with { Version = null },
        ["version zero"] = Record with { Version = 0 },
        ["detail"] = Record with { Detail = "lease u \u2713" },
        ["detail null"] = Record with { Detail = null },
        ["detail empty"] = Record with { Detail = string.Empty },
        ["actor/action boundary shifted"] = Record with { Actor = "ownerk", Action = "ey.release" },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void ComputeHash_AnySingleFieldChanged_Changes(string mutation)
    {
        var changed = Mutated()[mutation];

        Assert.NotEqual(Hex(Record.ComputeHash(Previous)), Hex(changed.ComputeHash(Previous)));
    }

    [Fact]
    public void ComputeHash_AllMutations_AreDistinctFromEachOther()
    {
        var hashes = Mutated().Values.Append(Record).Select(r => Hex(r.ComputeHash(Previous))).ToList();

        Assert.Equal(hashes.Count, hashes.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void ComputeHash_NullAndEmptyStringInEveryOptionalField_Differ()
    {
        var empty = new AuditRecord(1, At, "a", "b", string.Empty, string.Empty, string.Empty, 1, string.Empty);
        AuditRecord[] variants =
        [
            empty with { Model = null },
            empty with { User = null },
            empty with { Measurement = null },
            empty with { Detail = null },
        ];

        Assert.All(variants, v => Assert.NotEqual(Hex(empty.ComputeHash(Previous)), Hex(v.ComputeHash(Previous))));
    }

    [Fact]
    public void ComputeHash_VersionNullAndMinusOne_AreTheSameByDefinition()
    {
        // The documented layout writes −1 for "no version"; versions are positive, so −1 never occurs otherwise.
        Assert.Equal(Hex((Record with { Version = null }).ComputeHash(Previous)), Hex((Record with { Version = -1 }).ComputeHash(Previous)));
        Assert.NotEqual(Hex((Record with { Version = null }).ComputeHash(Previous)), Hex((Record with { Version = -2 }).ComputeHash(Previous)));
    }

    [Fact]
    public void ComputeHash_SubMillisecondOrOffsetChange_IsTheSameByDefinition()
    {
        // Time is hashed as unix milliseconds: the same instant in another offset, or ticks below a millisecond, hash alike.
        Assert.Equal(Hex(Record.ComputeHash(Previous)), Hex((Record with { At = At.AddTicks(9_999) }).ComputeHash(Previous)));
        Assert.Equal(Hex(Record.ComputeHash(Previous)), Hex((Record with { At = At.ToOffset(TimeSpan.FromHours(5)) }).ComputeHash(Previous)));
    }

    [Fact]
    public void ComputeHash_PreviousHashChanged_Changes()
    {
        for (var i = 0; i < AuditRecord.HashSize; i++)
        {
            var other = (byte[])Previous.Clone();
            other[i] ^= 0x01;

            Assert.NotEqual(Hex(Record.ComputeHash(Previous)), Hex(Record.ComputeHash(other)));
        }

        Assert.NotEqual(Hex(Record.ComputeHash(Previous)), Hex(Record.ComputeHash(AuditRecord.GenesisHash.Span)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void ComputeHash_PreviousHashNot32Bytes_Throws(int length)
    {
        Assert.Throws<ArgumentException>(() => Record.ComputeHash(new byte[length]));
    }

    [Fact]
    public void GenesisHash_Is32ZeroBytes()
    {
        Assert.Equal(new byte[32], AuditRecord.GenesisHash.ToArray());
    }

    private static void AddInt64(List<byte> layout, long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        layout.AddRange(bytes);
    }

    private static void AddText(List<byte> layout, string? text)
    {
        var length = new byte[4];
        if (text is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            layout.AddRange(length);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        layout.AddRange(length);
        layout.AddRange(bytes);
    }
}
