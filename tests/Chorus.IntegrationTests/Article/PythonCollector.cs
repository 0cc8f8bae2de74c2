using System.Globalization;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Article;

/// <summary>prometheus_client's own MultiProcessCollector over a directory, in a fresh Debian python3 (<c>samples/uwsgi-app/collect.py</c>).</summary>
internal static class PythonCollector
{
    private static string Script => Path.Combine(RepoPaths.UwsgiAppDirectory, "collect.py");

    /// <summary>What Python's <c>/metrics</c> would serve for <paramref name="directory"/> right now.</summary>
    public static ExpositionText Collect(string directory)
    {
        (int exitCode, string stdout, string stderr) = PythonPeer.Run([Script, directory], TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, stderr);
        return new ExpositionText(stdout);
    }

    /// <summary>The Chorus slots whose lock some process holds right now.</summary>
    public static int[] HeldSlots(string directory)
    {
        (int exitCode, string stdout, string stderr) = PythonPeer.Run([Script, directory, "--held"], TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    }
}
