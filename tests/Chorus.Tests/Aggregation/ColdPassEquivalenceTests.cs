using System.Buffers.Binary;
using System.Globalization;
using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A first collection of a big directory prepares files on two threads (read and entries walked by
/// <c>ColdReadAhead</c>, keys resolved in file order by the caller). Whatever the files hold, that must give exactly
/// what reading every file on the caller's thread gives: the same exposition, the same problems, and a state from
/// which the next collection gives the same again.
/// </summary>
public sealed class ColdPassEquivalenceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ColdPassOnTwoThreads_MatchesOneThread_WithEveryKindOfBadFile(int seed)
    {
        using var dir = new TempDirectory();
        WriteDirectory(dir, new Random(seed));

        using MultiProcessDirectory twoThreads = MultiProcessDirectory.Open(dir.Path);
        using MultiProcessDirectory oneThread = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { ColdReadAhead = false });

        // Bounded: a FIFO among the files must not block either reader.
        (string text, IReadOnlyList<FileProblem> problems) = await Task.Run(() => Collect(twoThreads)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(twoThreads.Diagnostics.FilesReadAhead > 100, $"only {twoThreads.Diagnostics.FilesReadAhead} files went through the read-ahead");
        (string expectedText, IReadOnlyList<FileProblem> expectedProblems) = await Task.Run(() => Collect(oneThread)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, oneThread.Diagnostics.FilesReadAhead);

        Assert.Contains("c_total{", text, StringComparison.Ordinal);
        Assert.Equal(expectedText, text);
        Assert.Equal(expectedProblems, problems);
        Assert.True(problems.Count >= 12, string.Join("\n", problems));

        // Appended entries, changed values and a replaced file, in files whose entry arrays other files may share:
        // the states both passes left behind must read them alike.
        foreach (string name in new[] { "counter_0000.db", "counter_0004.db", "counter_0008.db" })
        {
            var grown = new DbFileBuilder(ValueLayout.Value8);
            for (int s = 0; s < 7; s++)
            {
                grown.Add("c", "c_total", s + 0.5, labels: ("series", Label(s)));
            }

            grown.Add("c", "c_total", 1.0, labels: ("series", "new " + name)).WriteTo(dir.File(name));
        }

        new DbFileBuilder(ValueLayout.Value8).Add("c", "c_total", 4.0, labels: ("series", "replaced")).WriteTo(dir.File("replacement.tmp"));
        File.Move(dir.File("replacement.tmp"), dir.File("counter_0012.db"), overwrite: true);
        (string expectedNext, IReadOnlyList<FileProblem> expectedNextProblems) = Collect(oneThread);
        (string next, IReadOnlyList<FileProblem> nextProblems) = Collect(twoThreads);
        Assert.Contains("c_total{series=\"new counter_0004.db\"}", next, StringComparison.Ordinal);
        Assert.Equal(expectedNext, next);
        Assert.Equal(expectedNextProblems, nextProblems);
    }

    [Fact]
    public async Task ManyFirstPasses_OverThousandsOfFiles_NeverHangAndAlwaysAgree()
    {
        // Files far outnumber the read-ahead window, so the reading thread fills it, blocks and is woken many times
        // per pass, while the caller sometimes prepares files itself; every pass must end and agree.
        using var dir = new TempDirectory();
        byte[] counter = new DbFileBuilder(ValueLayout.Value8, capacity: 512).Add("c", "c_total", 1.0).Build();
        for (int i = 0; i < 1500; i++)
        {
            File.WriteAllBytes(dir.File($"counter_{i:D5}.db"), counter);
        }

        for (int pass = 0; pass < 5; pass++)
        {
            using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
            string text = await Task.Run(() => DirectoryFixture.Text(source)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("c_total 1500", text, StringComparison.Ordinal);
            Assert.Equal(1500, source.Diagnostics.FilesReadAhead);
        }
    }

    private static (string Text, IReadOnlyList<FileProblem> Problems) Collect(MultiProcessDirectory source) =>
        (DirectoryFixture.Text(source), source.LastReport.Problems.ToList());

    private static void WriteDirectory(TempDirectory dir, Random random)
    {
        // Good files of every kind and both layouts, of varying sizes (some bigger than the first read).
        for (int i = 0; i < 160; i++)
        {
            ValueLayout layout = random.Next(4) == 0 ? ValueLayout.ValueAndTimestamp16 : ValueLayout.Value8;
            var builder = new DbFileBuilder(layout, capacity: 4096);
            // Mostly the same keys in every file of a kind (as processes of one application write them), which lets
            // files share their entry arrays; some files differ.
            int series = random.Next(10) == 0 ? 300 : random.Next(3) == 0 ? random.Next(1, 20) : 7;
            string name;
            switch (i % 4)
            {
                case 0:
                    for (int s = 0; s < series; s++)
                    {
                        builder.Add("c", "c_total", random.Next(100), labels: ("series", Label(s)));
                    }

                    name = $"counter_{i:D4}.db";
                    break;
                case 1:
                    foreach (string le in new[] { "0.1", "1.0", "+Inf" })
                    {
                        builder.Add("h", "h_bucket", random.Next(10), labels: [("le", le), ("series", Label(series % 3))]);
                    }

                    builder.Add("h", "h_sum", random.NextDouble(), labels: ("series", Label(series % 3)));
                    name = $"histogram_{i:D4}.db";
                    break;
                case 2:
                    for (int s = 0; s < series % 5 + 1; s++)
                    {
                        builder.Add("g", "g", random.NextDouble(), timestamp: random.Next(1000), labels: ("series", Label(s)));
                    }

                    name = $"gauge_{(i % 8 == 2 ? "livesum" : "mostrecent")}_{i:D4}.db";
                    break;
                default:
                    builder.Add("a", "a", random.NextDouble());
                    name = $"gauge_all_{i:D4}.db";
                    break;
            }

            builder.WriteTo(dir.File(name));
        }

        // Bad files among them, in listing order.
        var (twoEntries, end) = DirectoryFixture.TwoEntryFile(ValueLayout.Value8);
        File.WriteAllBytes(dir.File("counter_0010x.db"), []);
        File.WriteAllBytes(dir.File("counter_0011x.db"), [1, 2, 3]);
        byte[] cut = (byte[])twoEntries.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(cut.AsSpan(end), 40);
        DbFormat.WriteUsed(cut, end + 10);
        File.WriteAllBytes(dir.File("counter_0020x.db"), cut);
        byte[] beyond = twoEntries[..end];
        DbFormat.WriteUsed(beyond, end + 5000);
        File.WriteAllBytes(dir.File("counter_0030x.db"), beyond);
        foreach ((int length, int at) in new[] { (-1, 40), (int.MaxValue, 41), (60000, 42) })
        {
            byte[] bad = (byte[])twoEntries.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(end), length);
            DbFormat.WriteUsed(bad, end + 64);
            File.WriteAllBytes(dir.File($"counter_00{at}x.db"), bad);
        }

        new DbFileBuilder(ValueLayout.Value8).Add("c", "c_total", 1.0, labels: ("series", "0")).AddRaw("[\"c\", \xff]"u8.ToArray(), 7.0)
            .Add("c", "c_total", 2.0, labels: ("series", "after")).WriteTo(dir.File("counter_0050x.db"));
        new DbFileBuilder(ValueLayout.Value8).AddRaw("[1,]"u8.ToArray(), 7.0).WriteTo(dir.File("counter_0051x.db"));
        new DbFileBuilder(ValueLayout.Value8).Add("h", "h_bucket", 1.0, labels: ("le", "x")).WriteTo(dir.File("histogram_0052x.db"));
        byte[] noise = new byte[5000];
        random.NextBytes(noise);
        File.WriteAllBytes(dir.File("counter_0060x.db"), noise);
        File.WriteAllBytes(dir.File("gauge_all_0061x.db"), noise[..7]);
        byte[] zeroUsed = new DbFileBuilder(ValueLayout.Value8).Add("c", "c_total", 1.0).Build();
        DbFormat.WriteUsed(zeroUsed, 0);
        File.WriteAllBytes(dir.File("counter_0062x.db"), zeroUsed);
        byte[] smallUsed = (byte[])zeroUsed.Clone();
        DbFormat.WriteUsed(smallUsed, 5);
        File.WriteAllBytes(dir.File("counter_0063x.db"), smallUsed);
        new DbFileBuilder(ValueLayout.ValueAndTimestamp16).Add("c", "c_total", 3.0, labels: ("series", "16")).WriteTo(dir.File("counter_0070x.db"));
        File.CreateSymbolicLink(dir.File("counter_0080x.db"), dir.File("counter_0080x.db"));
        Directory.CreateDirectory(dir.File("counter_0090x.db"));
        File.WriteAllBytes(dir.File("not_a_kind_0095.db"), twoEntries);
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", dir.File("counter_0100x.db"));
        Assert.True(mkfifo.WaitForExit(10_000));
    }

    private static string Label(int i) => i.ToString(CultureInfo.InvariantCulture);
}
