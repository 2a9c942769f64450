using Sesemi.Security.Audit;

namespace Sesemi.Security.Tests.Audit;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A whole chain of <paramref name="count"/> entries numbered from <paramref name="firstSequence"/>, linked from <paramref name="startHash"/>.</summary>
    private static List<ChainedAuditRecord> Chain(int count, long firstSequence = 1, byte[]? startHash = null)
    {
        var entries = new List<ChainedAuditRecord>();
        ReadOnlyMemory<byte> previous = startHash ?? AuditRecord.GenesisHash.ToArray();
        for (var i = 0; i < count; i++)
        {
            var record = new AuditRecord(firstSequence + i, Start.AddSeconds(i), "actor", AuditActions.Released, "m", "u", "sim:mrenclave:aa", i + 1, $"entry {i}");
            var hash = record.ComputeHash(previous.Span);
            entries.Add(new ChainedAuditRecord(record, previous, hash));
            previous = hash;
        }

        return entries;
    }

    /// <summary>Re-links <paramref name="record"/> after <paramref name="previous"/> with a correct hash, as a forger without a key could.</summary>
    private static ChainedAuditRecord Relink(AuditRecord record, ReadOnlyMemory<byte> previous) =>
        new(record, previous, record.ComputeHash(previous.Span));

    [Fact]
    public void FindFirstBreak_Empty_ReturnsNull()
    {
        Assert.Null(AuditChain.FindFirstBreak([]));
    }

    [Fact]
    public void FindFirstBreak_IntactChain_ReturnsNull()
    {
        Assert.Null(AuditChain.FindFirstBreak(Chain(5)));
    }

    [Fact]
    public void FindFirstBreak_SingleGenesisEntry_ReturnsNull()
    {
        Assert.Null(AuditChain.FindFirstBreak(Chain(1)));
    }

    [Fact]
    public void FindFirstBreak_NullEntries_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => AuditChain.FindFirstBreak(null!));
    }

    [Fact]
    public void FindFirstBreak_Gap_ReportsMissingSequence()
    {
        var chain = Chain(5);
        chain.RemoveAt(2);

        var found = AuditChain.FindFirstBreak(chain);

        Assert.NotNull(found);
        Assert.Equal(3, found.Sequence);
        Assert.Contains("missing", found.Reason, StringComparison.Ordinal);
        Assert.Contains("found 4", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_FirstEntryMissing_ReportsSequenceOne()
    {
        var chain = Chain(3);
        chain.RemoveAt(0);

        var found = AuditChain.FindFirstBreak(chain);

        Assert.Equal(1, found?.Sequence);
    }

    [Fact]
    public void FindFirstBreak_ReorderedEntries_ReportsFirstOutOfPlace()
    {
        var chain = Chain(5);
        (chain[1], chain[2]) = (chain[2], chain[1]);

        var found = AuditChain.FindFirstBreak(chain);

        Assert.NotNull(found);
        Assert.Equal(2, found.Sequence);
        Assert.Contains("found 3", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_ReorderedAndRenumberedWithValidHashes_ReportsBadLink()
    {
        // Swap two entries' contents, renumber them and recompute their own hashes: the links no longer meet.
        var chain = Chain(4);
        var second = chain[1].Record with { Sequence = 3 };
        var third = chain[2].Record with { Sequence = 2 };
        chain[1] = Relink(third, chain[0].Hash);
        chain[2] = Relink(second, chain[0].Hash);

        var found = AuditChain.FindFirstBreak(chain);

        Assert.NotNull(found);
        Assert.Equal(3, found.Sequence);
        Assert.Contains("previous-hash", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_DuplicatedEntry_ReportsBreak()
    {
        var chain = Chain(3);
        chain.Insert(2, chain[1]);

        var found = AuditChain.FindFirstBreak(chain);

        Assert.Equal(3, found?.Sequence);
    }

    [Fact]
    public void FindFirstBreak_BadPreviousLink_ReportsThatEntry()
    {
        var chain = Chain(5);
        var forgedPrevious = new byte[AuditRecord.HashSize];
        forgedPrevious[0] = 1;
        chain[3] = Relink(chain[3].Record, forgedPrevious);

        var found = AuditChain.FindFirstBreak(chain);

        Assert.NotNull(found);
        Assert.Equal(4, found.Sequence);
        Assert.Contains("previous-hash link", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_FirstEntryNotLinkedToGenesis_ReportsSequenceOne()
    {
        var chain = Chain(2, startHash: Enumerable.Repeat((byte)7, AuditRecord.HashSize).ToArray());

        var found = AuditChain.FindFirstBreak(chain);

        Assert.NotNull(found);
        Assert.Equal(1, found.Sequence);
        Assert.Contains("previous-hash link", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_PreviousHashOfWrongLength_ReportsBadLink()
    {
        var chain = Chain(3);
        chain[1] = chain[1] with { PreviousHash = chain[0].Hash[..16] };

        var found = AuditChain.FindFirstBreak(chain);

        Assert.Equal(2, found?.Sequence);
    }

    [Fact]
    public void FindFirstBreak_AlteredContent_ReportsThatEntry()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { Record = chain[2].Record with { User = "someone-else" } };

        var found = AuditChain.FindFirstBreak(chain);

        Assert.NotNull(found);
        Assert.Equal(3, found.Sequence);
        Assert.Contains("contents do not match", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_AlteredStoredHash_ReportsThatEntry()
    {
        var chain = Chain(3);
        var hash = chain[1].Hash.ToArray();
        hash[^1] ^= 0x80;
        chain[1] = chain[1] with { Hash = hash };

        var found = AuditChain.FindFirstBreak(chain);

        Assert.Equal(2, found?.Sequence);
        Assert.Contains("contents do not match", found!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_AlteredContentRehashed_BreaksTheNextLink()
    {
        var chain = Chain(4);
        chain[1] = Relink(chain[1].Record with { Detail = "rewritten" }, chain[0].Hash);

        var found = AuditChain.FindFirstBreak(chain);

        Assert.NotNull(found);
        Assert.Equal(3, found.Sequence);
        Assert.Contains("previous-hash link", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_SeveralBreaks_ReportsTheFirst()
    {
        var chain = Chain(6);
        chain[4] = chain[4] with { Record = chain[4].Record with { Actor = "x" } };
        chain[1] = chain[1] with { Record = chain[1].Record with { Actor = "y" } };

        Assert.Equal(2, AuditChain.FindFirstBreak(chain)?.Sequence);
    }

    [Fact]
    public void FindFirstBreak_SuffixWithStartHashAndSequence_ReturnsNull()
    {
        var chain = Chain(6);

        var found = AuditChain.FindFirstBreak(chain.Skip(3), chain[2].Hash, startSequence: 4);

        Assert.Null(found);
    }

    [Fact]
    public void FindFirstBreak_SuffixWithDefaults_ReportsMissingFirstEntry()
    {
        var chain = Chain(6);

        var found = AuditChain.FindFirstBreak(chain.Skip(3));

        Assert.NotNull(found);
        Assert.Equal(1, found.Sequence);
        Assert.Contains("found 4", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_SuffixWithWrongStartHash_ReportsItsFirstEntry()
    {
        var chain = Chain(6);

        var found = AuditChain.FindFirstBreak(chain.Skip(3), chain[1].Hash, startSequence: 4);

        Assert.NotNull(found);
        Assert.Equal(4, found.Sequence);
        Assert.Contains("previous-hash link", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindFirstBreak_SuffixWithWrongStartSequence_ReportsExpectedSequence()
    {
        var chain = Chain(6);

        var found = AuditChain.FindFirstBreak(chain.Skip(3), chain[2].Hash, startSequence: 5);

        Assert.Equal(5, found?.Sequence);
    }

    [Fact]
    public void FindFirstBreak_EmptySuffix_ReturnsNull()
    {
        Assert.Null(AuditChain.FindFirstBreak([], new byte[AuditRecord.HashSize], startSequence: 42));
    }

    [Fact]
    public void FindFirstBreak_ChainStartingElsewhere_VerifiesFromGivenStart()
    {
        var start = Enumerable.Repeat((byte)0xab, AuditRecord.HashSize).ToArray();
        var chain = Chain(3, firstSequence: 100, startHash: start);

        Assert.Null(AuditChain.FindFirstBreak(chain, start, startSequence: 100));
        Assert.Equal(100, AuditChain.FindFirstBreak(chain, AuditRecord.GenesisHash, startSequence: 100)?.Sequence);
    }
}
