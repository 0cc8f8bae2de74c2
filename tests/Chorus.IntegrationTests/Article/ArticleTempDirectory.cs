namespace Chorus.IntegrationTests.Article;

/// <summary>A fresh temporary directory per test: <see cref="Metrics"/> is the multiprocess dir, <see cref="Logs"/> sits beside it.</summary>
internal sealed class ArticleTempDirectory : IDisposable
{
    public ArticleTempDirectory()
    {
        Root = Directory.CreateTempSubdirectory("chorus-article-").FullName;
        Metrics = Directory.CreateDirectory(Path.Combine(Root, "metrics")).FullName;
        Logs = Directory.CreateDirectory(Path.Combine(Root, "logs")).FullName;
    }

    public string Root { get; }

    public string Metrics { get; }

    public string Logs { get; }

    /// <summary>The <c>.db</c> file names in the metrics directory, sorted.</summary>
    public IReadOnlyList<string> DbFiles() =>
        Directory.EnumerateFiles(Metrics, "*.db").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling worker may still write; the OS temp cleaner gets the rest.
        }
    }
}
