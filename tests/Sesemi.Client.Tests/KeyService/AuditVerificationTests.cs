using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Audit;

namespace Sesemi.Client.Tests.KeyService;

public sealed class AuditVerificationTests
{
    private const string Model = "1111111111111111111111111111111111111111111111111111111111111111/model";
    private const string OtherModel = "1111111111111111111111111111111111111111111111111111111111111111/other";
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A whole chain of <paramref name="count"/> entries, alternating between two models, hashed as the KeyService does.</summary>
    internal static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        var previous = AuditRecord.GenesisHash.ToArray();
        for (var sequence = 1; sequence <= count; sequence++)
        {
            var record = new AuditRecord(
                sequence,
                Start.AddSeconds(sequence).AddTicks(1234),
                new string('a', 64),
                sequence % 3 == 0 ? AuditActions.Granted : AuditActions.ModelKeyAdded,
                sequence % 2 == 0 ? OtherModel : Model,
                sequence % 3 == 0 ? new string('b', 64) : null,
                sequence % 3 == 0 ? "sim:mrenclave:" + new string('c', 64) : null,
                sequence % 3 == 0 ? null : sequence,
                sequence == 4 ? "détail ünïcode" : null);
            var hash = record.ComputeHash(previous);
            entries.Add(new AuditEntry(
                record.Sequence, record.At, record.Actor, record.Action, record.Model, record.User, record.Measurement, record.Version, record.Detail,
                Convert.ToHexStringLower(previous), Convert.ToHexStringLower(hash)));
            previous = hash;
        }

        return entries;
    }

    [Fact]
    public void Verify_WholeChain_IsIntact()
    {
        Assert.Null(KeyServiceClient.VerifyAuditEntries(Chain(10)));
    }

    [Fact]
    public void Verify_NoEntries_IsIntact()
    {
        Assert.Null(KeyServiceClient.VerifyAuditEntries([]));
    }

    [Fact]
    public void Verify_OneModelsEntries_WithGapsInTheGlobalSequence_IsIntact()
    {
        var ofModel = Chain(10).Where(e => e.Model == Model).ToList();

        Assert.Equal([1L, 3, 5, 7, 9], ofModel.Select(e => e.Sequence));
        Assert.Null(KeyServiceClient.VerifyAuditEntries(ofModel));
    }

    [Fact]
    public void Verify_ASuffixOfTheChain_IsIntact()
    {
        Assert.Null(KeyServiceClient.VerifyAuditEntries(Chain(10).Skip(4)));
    }

    public static TheoryData<string> Tamperings => new() { "detail", "actor", "action", "user", "measurement", "version", "time", "model" };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Verify_ChangedField_IsDetectedAtThatEntry(string field)
    {
        var entries = Chain(6);
        var e = entries[3];
        entries[3] = field switch
        {
            "detail" => e with { Detail = "rewritten" },
            "actor" => e with { Actor = new string('f', 64) },
            "action" => e with { Action = AuditActions.Revoked },
            "user" => e with { User = new string('d', 64) },
            "measurement" => e with { Measurement = "sim:mrenclave:" + new string('e', 64) },
            "version" => e with { Version = 99 },
            "time" => e with { At = e.At.AddSeconds(1) },
            _ => e with { Model = Model },
        };

        var broken = KeyServiceClient.VerifyAuditEntries(entries);

        Assert.NotNull(broken);
        Assert.Equal(4, broken.Sequence);
        Assert.Contains("hash", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EntryRehashedOverAForgedLink_IsDetectedAtTheLink()
    {
        var entries = Chain(5);
        var forgedPrevious = new byte[AuditRecord.HashSize];
        forgedPrevious[0] = 1;
        var forged = entries[2] with { Detail = "forged" };
        var forgedHash = AuditVerification.RecordOf(forged).ComputeHash(forgedPrevious);
        entries[2] = forged with { PreviousHash = Convert.ToHexStringLower(forgedPrevious), Hash = Convert.ToHexStringLower(forgedHash) };

        var broken = KeyServiceClient.VerifyAuditEntries(entries);

        Assert.NotNull(broken);
        Assert.Equal(3, broken.Sequence);
        Assert.Contains("link", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FirstEntryOfTheLog_NotLinkedToGenesis_IsDetected()
    {
        var entries = Chain(3);
        var notGenesis = Enumerable.Repeat((byte)9, AuditRecord.HashSize).ToArray();
        var relinked = entries[0] with { PreviousHash = Convert.ToHexStringLower(notGenesis) };
        entries[0] = relinked with { Hash = Convert.ToHexStringLower(AuditVerification.RecordOf(relinked).ComputeHash(notGenesis)) };

        var broken = KeyServiceClient.VerifyAuditEntries(entries);

        Assert.NotNull(broken);
        Assert.Equal(1, broken.Sequence);
        Assert.Contains("genesis", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ReorderedEntries_AreDetected()
    {
        var entries = Chain(5);
        (entries[1], entries[2]) = (entries[2], entries[1]);

        var broken = KeyServiceClient.VerifyAuditEntries(entries);

        Assert.NotNull(broken);
        Assert.Equal(2, broken.Sequence);
        Assert.Contains("order", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_DuplicatedEntry_IsDetected()
    {
        var entries = Chain(3);
        entries.Insert(2, entries[1]);

        Assert.NotNull(KeyServiceClient.VerifyAuditEntries(entries));
    }

    [Theory]
    [InlineData("")]
    [InlineData("zz")]
    [InlineData("00")]
    public void Verify_MalformedHash_IsDetected(string hash)
    {
        var entries = Chain(2);
        entries[1] = entries[1] with { Hash = hash };

        var broken = KeyServiceClient.VerifyAuditEntries(entries);

        Assert.NotNull(broken);
        Assert.Equal(2, broken.Sequence);
    }
}
