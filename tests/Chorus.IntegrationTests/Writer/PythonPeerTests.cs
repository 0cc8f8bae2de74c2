using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Writer;

/// <summary>prometheus_client 0.16 (Debian, <c>/usr/bin/python3</c>) and 0.21.1 (trixie, fetched) reading directories Chorus wrote.</summary>
public sealed partial class PythonPeerTests : IDisposable
{
    private readonly TempDirectory _dir = new("pypeer");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PythonCollector_OnEightByteChorusDirectory_EqualsChorusScrape()
    {
        WriteSlotDirectory(new Dictionary<string, string?> { ["CHORUS_VALUE_LAYOUT"] = "8" });

        string chorus = AssertPythonCollectorEqualsChorusScrape(pythonEnvironment: null);
        Assert.Contains("wa_requests_total{code=\"200\",route=\"/a\"} 3.0", chorus, StringComparison.Ordinal);
        Assert.Contains("wa_build_info{commit=\"abc\",version=\"1.2.3\"} 1.0", chorus, StringComparison.Ordinal);
        Assert.Contains("wa_state{wa_state=\"running\"} 1.0", chorus, StringComparison.Ordinal);
    }

    /// <summary>Chorus's default layout (16 bytes, value and timestamp), read by prometheus_client 0.21.1's own collector.</summary>
    [Fact]
    public void NewestPythonCollector_OnDefaultLayoutChorusDirectory_EqualsChorusScrape()
    {
        WriteSlotDirectory(new Dictionary<string, string?>());
        Assert.All(Directory.GetFiles(_dir.Path, "*.db"), f => Assert.Equal(16, ReferenceDbFile.ReadEitherLayout(File.ReadAllBytes(f)).ValueWidth));

        string chorus = AssertPythonCollectorEqualsChorusScrape(PythonPeer.Newest);
        Assert.Contains("wa_requests_total{code=\"200\",route=\"/a\"} 3.0", chorus, StringComparison.Ordinal);
    }

    /// <summary>A writer in slot 1 while slot 0 is held, then one in slot 0 after its holder ended: two files per type.</summary>
    private void WriteSlotDirectory(Dictionary<string, string?> env)
    {
        using (var holder = TestChild.Start(["slot", _dir.Path], env))
        {
            Assert.Equal("0", holder.WaitForLineStartingWith("slot"));
            WriteAll(env);
            Assert.Equal(0, holder.WaitAfterClosingInput(TimeSpan.FromSeconds(20)).ExitCode);
        }

        WriteAll(env);
        Assert.Equal(2, Directory.GetFiles(_dir.Path, "counter_*.db").Length);
    }

    /// <summary>Asserts prometheus_client's collector (0.16, or the one <paramref name="pythonEnvironment"/> selects) serves Chorus's samples; returns Chorus's text.</summary>
    private string AssertPythonCollectorEqualsChorusScrape(IReadOnlyDictionary<string, string?>? pythonEnvironment)
    {
        (int pyExit, string python, string pyErr) = PythonPeer.Run([RepoPaths.PythonScript("writer_collect.py"), _dir.Path], PythonPeer.Timeout, environment: pythonEnvironment);
        Assert.True(pyExit == 0, pyErr);
        (int exitCode, string chorus, string err) = ChorusCli.Run(TimeSpan.FromSeconds(60), "scrape", "--dir", _dir.Path);
        Assert.True(exitCode == 0, err);

        // Python shows an info metric under its family name with the _info sample; Chorus names the
        // family after the sample, as prometheus_client's own text output does for Info. Same samples.
        string normalizedPython = InfoHeader().Replace(python, "# $1 wa_build_info ");
        List<string> diffs = ExpositionComparer.Diff(normalizedPython, chorus);
        Assert.True(diffs.Count == 0, string.Join("\n", diffs) + "\n--- python\n" + python + "\n--- chorus\n" + chorus);
        return chorus;
    }

    [Fact]
    public void InfoRemoveAndClear_InMultiProcessMode_LeaveTheMergedOutput()
    {
        // prometheus_client 0.16 reads the 8-byte layout only.
        using var writer = TestChild.Start(["info-remove", _dir.Path], new Dictionary<string, string?> { ["CHORUS_VALUE_LAYOUT"] = "8" });
        Assert.Equal("True", writer.WaitForLineStartingWith("removed"));
        writer.WaitForLineStartingWith("waiting");

        (int exitCode, string chorus, string err) = ChorusCli.Run(TimeSpan.FromSeconds(60), "scrape", "--dir", _dir.Path);
        Assert.True(exitCode == 0, err);
        string[] chorusSamples = [.. chorus.Split('\n').Where(l => l.StartsWith("ir_", StringComparison.Ordinal))];
        Assert.Equal(["ir_build_info{component=\"b\",version=\"2\"} 1.0"], chorusSamples);

        // prometheus_client's collector ignores the removal sidecar; the removed facts read 0, never a stale 1.
        (int pyExit, string python, string pyErr) = PythonPeer.RunScript("writer_collect.py", _dir.Path);
        Assert.True(pyExit == 0, pyErr);
        string[] pythonSamples = [.. python.Split('\n').Where(l => l.StartsWith("ir_", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Assert.Equal(
            [
                "ir_build_info{component=\"a\",version=\"1\"} 0.0",
                "ir_build_info{component=\"b\",version=\"2\"} 1.0",
                "ir_cleared_info{k=\"x\",v=\"1\"} 0.0",
                "ir_cleared_info{k=\"y\",v=\"2\"} 0.0",
            ],
            pythonSamples);
        Assert.Equal(0, writer.WaitAfterClosingInput(TimeSpan.FromSeconds(20)).ExitCode);
    }

    private void WriteAll(Dictionary<string, string?> env)
    {
        (int exit, string stdout, string stderr) = TestChild.Run(["write-all", _dir.Path], env);
        Assert.True(exit == 0, stdout + stderr);
    }

    [GeneratedRegex(@"# (HELP|TYPE) wa_build ")]
    private static partial Regex InfoHeader();
}
