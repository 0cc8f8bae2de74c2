using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A frozen file that gives its kept descriptor and mapping up to a new file is unmapped and closed after the collection,
/// off its thread: the descriptors held must still stay within the budget, and none may outlive the reader.
/// </summary>
public class KeptFileDisposalTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void AFrozenFileGivenUp_IsClosedAfterTheCollection_AndNothingOutlivesTheReader()
    {
        using var dir = new TempDirectory();
        for (int i = 1; i <= 3; i++)
        {
            Counter(i).WriteTo(dir.File($"counter_{3900000 + i}.db"));
        }

        MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { MaxKeptFiles = 2, ListingSettleTime = Settle });
        try
        {
            for (int i = 0; i < 4 && reader.Diagnostics.FrozenFileCount != 3; i++)
            {
                DirectoryFixture.Text(reader);
            }

            Assert.Equal(3, reader.Diagnostics.FrozenFileCount);
            Assert.Equal(2, DescriptorsUnder(dir.Path));

            // A new worker's file takes a frozen file's place: its read does not wait for the old one's munmap and close,
            // which happen once the collection is done.
            Counter(10.0).WriteTo(dir.File("counter_3900009.db"));
            Assert.Contains("c_total 16.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
            Assert.Equal(2, reader.LastReport.FilesKeptOpen);
            Assert.True(SpinWait.SpinUntil(() => DescriptorsUnder(dir.Path) == 2, TimeSpan.FromSeconds(10)), $"{DescriptorsUnder(dir.Path)} descriptors open");
        }
        finally
        {
            reader.Dispose();
        }

        Assert.Equal(0, DescriptorsUnder(dir.Path));
    }

    private static DbFileBuilder Counter(double value) => new DbFileBuilder(capacity: 4096).Add("c", "c_total", value);

    /// <summary>This process's descriptors open on files in <paramref name="directory"/>.</summary>
    private static int DescriptorsUnder(string directory)
    {
        int count = 0;
        foreach (string fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(directory + "/", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // A descriptor closed while listing.
            }
        }

        return count;
    }
}
