using Chorus.Aggregation;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

public class FileRanksTests
{
    [Property(MaxTest = 200)]
    public bool NewFiles_TakeTheirPlaceInNameOrder_WithoutChangingAnyOtherRank(int seed)
    {
        var random = new Random(seed);
        int spacing = random.Next(2) == 0 ? 4096 : random.Next(1, 4);
        var names = new HashSet<string>(StringComparer.Ordinal);
        int count = random.Next(1, 41);
        while (names.Count < count)
        {
            names.Add($"counter_{random.Next(1000)}.db");
        }

        List<string> all = [.. names];
        var added = all.Where(_ => random.Next(3) == 0).Select(State).ToList();
        List<FileState> ordered = [.. all.Except(added.Select(f => f.FileName)).Order(StringComparer.Ordinal).Select(State)];
        for (int i = 0; i < ordered.Count; i++)
        {
            ordered[i].Rank = (i + 1) * spacing;
        }

        var ranksBefore = ordered.ToDictionary(f => f, f => f.Rank);
        bool ranked = new FileRanks(ordered).TryInsert(added);

        bool inNameOrder = ordered.Select(f => f.FileName).SequenceEqual(all.Order(StringComparer.Ordinal));
        bool othersKept = ranksBefore.All(pair => pair.Key.Rank == pair.Value);
        bool increasing = ordered.Zip(ordered.Skip(1)).All(pair => pair.First.Rank < pair.Second.Rank) && ordered.All(f => f.Rank > 0);

        // With room between neighbours (4,096 apart) every run of new files is ranked; packed ranks may leave none.
        return inNameOrder && othersKept && (ranked ? increasing : spacing < 4096);
    }

    [Property(MaxTest = 200)]
    public bool AFileLookedUpByRank_IsFoundWhereAScanFindsIt(int seed)
    {
        // Contributions in file order, a file's several entries next to each other (as a frozen part keeps them).
        var random = new Random(seed);
        var files = Enumerable.Range(0, random.Next(1, 30)).Select(i => new FileState($"f{i:D3}.db", "") { Rank = (i + 1) * random.Next(1, 5000) }).ToList();
        for (int i = 1; i < files.Count; i++)
        {
            files[i].Rank = Math.Max(files[i].Rank, files[i - 1].Rank + 1);
        }

        List<FileState> kept = [.. files.Where(_ => random.Next(3) > 0).SelectMany(f => Enumerable.Repeat(f, random.Next(1, 3)))];
        FileState[] array = [.. kept, .. files];
        foreach (FileState file in files)
        {
            int expected = kept.IndexOf(file);
            if (FileRanks.IndexOf(array, kept.Count, file) != expected
                || FileRanks.FirstRankedFrom(array, kept.Count, file.Rank) != kept.Count(f => f.Rank < file.Rank))
            {
                return false;
            }
        }

        return true;
    }

    private static FileState State(string name) => new(name, name);
}
