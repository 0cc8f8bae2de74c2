namespace Chorus.IntegrationTests.Serve;

/// <summary>A fresh directory per test, removed afterwards.</summary>
internal sealed class ServeTempDirectory : IDisposable
{
    public ServeTempDirectory(string prefix = "chorus-serve-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child still closing a file; the OS temp cleaner gets it.
        }
    }
}
