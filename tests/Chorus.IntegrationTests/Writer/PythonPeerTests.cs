using System.Text.RegularExpressions;
using Chorus.Tests.Support;

namespace Chorus.IntegrationTests.Writer;

/// <summary>prometheus_client 0.16 (Debian, <c>/usr/bin/python3</c>) reading directories Chorus wrote.</summary>
public sealed partial class PythonPeerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chorus-pypeer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void PythonCollector_OnEightByteChorusDirectory_EqualsChorusScrape()
    {
        var env = new Dictionary<string, string?> { ["CHORUS_VALUE_LAYOUT"] = "8" };

        // A writer in slot 1 while slot 0 is held, then one in slot 0 after its holder ended: two files per type.
        using (var holder = new RunningChild(["slot", _dir], env))
        {
            Assert.Equal("0", holder.WaitFor("slot"));
            WriteAll(env);
            Assert.Equal(0, holder.Finish());
        }

        WriteAll(env);
        Assert.Equal(2, Directory.GetFiles(_dir, "counter_*.db").Length);

        (int pyExit, string python, string pyErr) = WriterTestEnvironment.RunPython("writer_collect.py", _dir);
        Assert.True(pyExit == 0, pyErr);
        (int exitCode, string chorus, string err) = WriterTestEnvironment.Run(
            WriterTestEnvironment.Dotnet(WriterTestEnvironment.ChorusDll, ["scrape", "--dir", _dir]), TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, err);

        // Python shows an info metric under its family name with the _info sample; Chorus names the
        // family after the sample, as prometheus_client's own text output does for Info. Same samples.
        string normalizedPython = InfoHeader().Replace(python, "# $1 wa_build_info ");
        List<string> diffs = ExpositionComparer.Diff(normalizedPython, chorus);
        Assert.True(diffs.Count == 0, string.Join("\n", diffs) + "\n--- python\n" + python + "\n--- chorus\n" + chorus);
        Assert.Contains("wa_requests_total{code=\"200\",route=\"/a\"} 3.0", chorus, StringComparison.Ordinal);
        Assert.Contains("wa_build_info{commit=\"abc\",version=\"1.2.3\"} 1.0", chorus, StringComparison.Ordinal);
        Assert.Contains("wa_state{wa_state=\"running\"} 1.0", chorus, StringComparison.Ordinal);
    }

    private void WriteAll(Dictionary<string, string?> env)
    {
        (int exit, string stdout, string stderr) = WriterTestEnvironment.RunChild(["write-all", _dir], env);
        Assert.True(exit == 0, stdout + stderr);
    }

    [GeneratedRegex(@"# (HELP|TYPE) wa_build ")]
    private static partial Regex InfoHeader();
}
