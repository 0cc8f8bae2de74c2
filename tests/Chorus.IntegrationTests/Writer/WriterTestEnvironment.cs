using System.Diagnostics;
using System.Text;

namespace Chorus.IntegrationTests.Writer;

/// <summary>Paths of the pre-built processes the writer tests start, and a way to run them with bounded time.</summary>
internal static class WriterTestEnvironment
{
    public static string OutputDirectory => AppContext.BaseDirectory;

    public static string RepoRoot
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Chorus.slnx not found above the test assembly.");
        }
    }

    /// <summary>Chorus.TestChild.dll built with the same configuration and framework as the tests.</summary>
    public static string TestChildDll
    {
        get
        {
            // bin/{Configuration}/{tfm}/ of this assembly mirrors the child's output folder.
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string tfm = output.Name;
            string configuration = output.Parent!.Name;
            string path = Path.Combine(RepoRoot, "tests", "Chorus.TestChild", "bin", configuration, tfm, "Chorus.TestChild.dll");
            Assert.True(File.Exists(path), $"{path} is missing: build the solution first (scripts/test.sh does).");
            return path;
        }
    }

    /// <summary>The chorus CLI, copied next to the tests by the project reference.</summary>
    public static string ChorusDll => Path.Combine(OutputDirectory, "chorus.dll");

    public static ProcessStartInfo Dotnet(string dll, IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("PROMETHEUS_MULTIPROC_DIR");
        info.Environment.Remove("CHORUS_VALUE_LAYOUT");
        info.Environment.Remove("CHORUS_IDENTITY");
        if (environment is not null)
        {
            foreach (KeyValuePair<string, string?> pair in environment)
            {
                info.Environment[pair.Key] = pair.Value;
            }
        }

        return info;
    }

    /// <summary>Runs a process to completion within <paramref name="timeout"/>; returns exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(ProcessStartInfo info, TimeSpan timeout)
    {
        using Process process = Process.Start(info)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}: {stdout.Result}{stderr.Result}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public static (int ExitCode, string Stdout, string Stderr) RunChild(IEnumerable<string> args, IDictionary<string, string?>? environment = null, int timeoutSeconds = 60) =>
        Run(Dotnet(TestChildDll, args, environment), TimeSpan.FromSeconds(timeoutSeconds));

    public static (int ExitCode, string Stdout, string Stderr) RunPython(string script, params string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Path.Combine(OutputDirectory, "python", script));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("PROMETHEUS_MULTIPROC_DIR");
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        return Run(info, TimeSpan.FromSeconds(60));
    }
}
