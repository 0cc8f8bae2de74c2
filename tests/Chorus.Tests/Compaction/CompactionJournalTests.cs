using Chorus.Files;

namespace Chorus.Tests.Compaction;

public sealed class CompactionJournalTests : IDisposable
{
    private static readonly FileIdentity s_old = new(2049, 10);
    private static readonly FileIdentity s_new = new(2049, 11);
    private static readonly FileIdentity s_a = new(2049, 20);
    private static readonly FileIdentity s_b = new(2049, 21);
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CompactionJournal Journal(FileIdentity? old = null, bool undoing = false) => new(
    [
        new JournalGroup("counter_archive8.db", old, "counter_archive8.db.chorus-new", s_new, old is null ? null : "counter_archive8.db.chorus-prev", undoing,
            [new JournalFolded("counter_1.db", "counter_1.db.chorus-claimed", s_a), new JournalFolded("counter_2.db", "counter_2.db.chorus-claimed", s_b)]),
    ]);

    [Fact]
    public void WriteAndRead_RoundTrips()
    {
        CompactionJournal journal = Journal(s_old, undoing: true);
        journal.WriteDurably(_dir.Path, flushToDisk: false);

        CompactionJournal? read = CompactionJournal.TryRead(_dir.Path);

        Assert.NotNull(read);
        JournalGroup group = Assert.Single(read.Groups);
        Assert.Equal(journal.Groups[0] with { Folded = [] }, group with { Folded = [] });
        Assert.Equal(journal.Groups[0].Folded, group.Folded);
        Assert.Null(CompactionJournal.TryRead(Path.Combine(_dir.Path, "none")));
    }

    [Fact]
    public void NewArchiveRead_FoldedFilesReadAreExcluded()
    {
        var read = new Dictionary<string, FileIdentity> { ["counter_archive8.db"] = s_new, ["counter_1.db"] = s_a, ["counter_9.db"] = new(2049, 99) };

        Assert.True(Journal(s_old).TryReconcile(read, out IReadOnlySet<string> excluded));
        Assert.Equal(["counter_1.db"], excluded);
    }

    [Fact]
    public void OldArchiveRead_WithEveryFoldedFile_CountsEverything()
    {
        var read = new Dictionary<string, FileIdentity> { ["counter_archive8.db"] = s_old, ["counter_1.db"] = s_a, ["counter_2.db"] = s_b };

        Assert.True(Journal(s_old).TryReconcile(read, out IReadOnlySet<string> excluded));
        Assert.Empty(excluded);
    }

    [Fact]
    public void NoArchiveYet_WithEveryFoldedFile_CountsEverything()
    {
        var read = new Dictionary<string, FileIdentity> { ["counter_1.db"] = s_a, ["counter_2.db"] = s_b };

        Assert.True(Journal().TryReconcile(read, out IReadOnlySet<string> excluded));
        Assert.Empty(excluded);
    }

    [Theory]
    [InlineData("old archive, a folded file missing")]
    [InlineData("old archive, a folded name now another file")]
    [InlineData("unknown archive")]
    public void MixedStates_AskForAnotherPass(string scenario)
    {
        var read = new Dictionary<string, FileIdentity> { ["counter_archive8.db"] = s_old, ["counter_1.db"] = s_a, ["counter_2.db"] = s_b };
        switch (scenario)
        {
            case "old archive, a folded file missing": read.Remove("counter_2.db"); break;
            case "old archive, a folded name now another file": read["counter_2.db"] = new(2049, 77); break;
            default: read["counter_archive8.db"] = new(2049, 55); break;
        }

        Assert.False(Journal(s_old).TryReconcile(read, out _));
    }

    [Fact]
    public void Generation_StartsAtZeroAndRises()
    {
        Assert.Equal(0, CompactionGeneration.Read(_dir.Path));
        Assert.Equal(1, CompactionGeneration.Bump(_dir.Path));
        Assert.Equal(2, CompactionGeneration.Bump(_dir.Path));
        Assert.Equal(2, CompactionGeneration.Read(_dir.Path));
    }
}
