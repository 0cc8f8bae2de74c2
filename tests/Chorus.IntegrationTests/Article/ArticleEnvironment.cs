using System.Diagnostics;

namespace Chorus.IntegrationTests.Article;

/// <summary>Paths and process helpers the article scenario tests share: the repo, Debian's Python, the peers.</summary>
internal static class ArticleEnvironment
{
    /// <summary>Debian's interpreter: the only one that sees python3-prometheus-client (pyenv's does not).</summary>
    public const string Python = "/usr/bin/python3";

    public static string RepoRoot => Support.RepoPaths.RepoRoot;

    public static string SlotHelperDirectory => Path.Combine(RepoRoot, "integrations", "python");

    public static string UwsgiAppDirectory => Path.Combine(RepoRoot, "samples", "uwsgi-app");

    /// <summary>Runs a program to completion within <paramref name="timeout"/>; kills it (and its children) past that.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(
        string fileName, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using Process process = Start(fileName, args, workingDirectory, environment, redirect: true);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish within {timeout}: {stdout.Result}{stderr.Result}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts a program with the given extra environment; output is redirected when asked.</summary>
    public static Process Start(
        string fileName, IEnumerable<string> args, string? workingDirectory,
        IReadOnlyDictionary<string, string>? environment, bool redirect)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            RedirectStandardInput = false,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
    }
}
