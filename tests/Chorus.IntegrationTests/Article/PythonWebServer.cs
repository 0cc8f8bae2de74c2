using System.Diagnostics;
using System.Globalization;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Article;

/// <summary>
/// The article's app (<c>samples/uwsgi-app/app.py</c>) under a real uWSGI or gunicorn master with worker
/// recycling, on a free loopback port and a per-test multiprocess directory. Disposing stops the master and
/// every worker.
/// </summary>
internal sealed class PythonWebServer : IDisposable
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly ChildProcess _master;
    private readonly string _workerMarker;

    private PythonWebServer(ChildProcess master, int port, string directory, string workerMarker, string logPath)
    {
        _master = master;
        Port = port;
        Directory = directory;
        _workerMarker = workerMarker;
        LogPath = logPath;
    }

    public int Port { get; }

    public string Directory { get; }

    public string LogPath { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>
    /// uWSGI as the article runs it: master + <paramref name="workers"/>, <c>--max-requests</c>, and the flags that
    /// compress recycling into seconds (reference/python-baseline.md §B). Debian's uWSGI needs <c>--plugin python3,http</c>.
    /// </summary>
    public static Task<PythonWebServer> StartUwsgiAsync(string directory, string logDirectory, string identity, int workers, int maxRequests, params string[] extra)
    {
        int port = FreeLoopbackPort.Next();
        string log = Path.Combine(logDirectory, "uwsgi.log");
        string[] args =
        [
            "--plugin", "python3,http", "--http", $"127.0.0.1:{port}", "--master",
            "--processes", workers.ToString(CultureInfo.InvariantCulture),
            "--max-requests", maxRequests.ToString(CultureInfo.InvariantCulture),
            "--min-worker-lifetime", "0", "--forkbomb-delay", "0",
            "--wsgi-file", Path.Combine(RepoPaths.UwsgiAppDirectory, "app.py"),
            "--disable-logging", "--logto", log, "--die-on-term", "--auto-procname",
            .. extra,
        ];
        return StartAsync("uwsgi", args, port, directory, identity, "uWSGI worker", log);
    }

    /// <summary>gunicorn with sync workers and <c>--max-requests</c> (no jitter), the app imported in each worker.</summary>
    public static Task<PythonWebServer> StartGunicornAsync(string directory, string logDirectory, string identity, int workers, int maxRequests)
    {
        int port = FreeLoopbackPort.Next();
        string log = Path.Combine(logDirectory, "gunicorn.log");
        string[] args =
        [
            "--workers", workers.ToString(CultureInfo.InvariantCulture),
            "--max-requests", maxRequests.ToString(CultureInfo.InvariantCulture),
            "--bind", $"127.0.0.1:{port}", "--chdir", RepoPaths.UwsgiAppDirectory,
            "--error-logfile", log, "app:application",
        ];
        return StartAsync("gunicorn", args, port, directory, identity, workerMarker: "", log);
    }

    /// <summary>PIDs of the master's worker processes (not uWSGI's HTTP router).</summary>
    public IReadOnlyList<int> WorkerPids()
    {
        var pids = new List<int>();
        foreach (string entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                string stat = File.ReadAllText(Path.Combine(entry, "stat"));
                // Fields after the parenthesised command: state, then ppid.
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(rest[1], CultureInfo.InvariantCulture) != _master.Pid)
                {
                    continue;
                }

                string cmdline = File.ReadAllText(Path.Combine(entry, "cmdline"));
                if (cmdline.Contains(_workerMarker, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return pids;
    }

    /// <summary>SIGKILLs every current worker, as an OOM killer or harakiri would: no cleanup code runs.</summary>
    public int KillWorkers()
    {
        IReadOnlyList<int> pids = WorkerPids();
        foreach (int pid in pids)
        {
            try
            {
                using Process worker = Process.GetProcessById(pid);
                worker.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        return pids.Count;
    }

    /// <summary>
    /// Starts one 20-second <c>/slow</c> request, waits until Python's collector shows it in progress, then
    /// SIGKILLs every worker, so one of them dies in the middle of a request with its in-progress gauge at 1.
    /// Only one slow request: a second could queue behind it and then run, legitimately in progress, after the kill.
    /// </summary>
    public async Task KillWorkersDuringSlowRequestAsync()
    {
        // curl, not HttpClient: a request whose connection dies must not be retried on a fresh worker.
        using ChildProcess slow = ChildProcess.Start("curl", ["-sS", "-m", "25", Url + "/slow?s=20"]);
        bool SlowRequestInProgress()
        {
            ExpositionText seen = PythonCollector.Collect(Directory);
            return seen.Contains("app_requests_in_progress", ("path", "/slow")) && seen.Sum("app_requests_in_progress", ("path", "/slow")) == 1;
        }

        long start = Stopwatch.GetTimestamp();
        while (!SlowRequestInProgress())
        {
            Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(20), "the /slow request never showed as in progress");
            await Task.Delay(100);
        }

        Assert.True(KillWorkers() >= 1, "no worker to kill");
        Assert.True(slow.ExitsWithin(TimeSpan.FromSeconds(10)), "the slow request should end with its worker");
        Assert.NotEqual(0, slow.ExitCode);
    }

    public async Task<string> GetAsync(string pathAndQuery, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await s_http.GetAsync(new Uri(Url + pathAndQuery), cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>Python's own <c>/metrics</c> (served by a worker with MultiProcessCollector) and how long it took.</summary>
    public async Task<(string Text, TimeSpan Elapsed)> PythonMetricsAsync()
    {
        long start = Stopwatch.GetTimestamp();
        string text = await GetAsync("/metrics");
        return (text, Stopwatch.GetElapsedTime(start));
    }

    public string Log() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public void Dispose()
    {
        if (!_master.HasExited)
        {
            // SIGINT stops both masters and their workers; SIGKILL of the tree (on dispose) if they do not.
            _master.Signal("INT");
            _master.ExitsWithin(TimeSpan.FromSeconds(10));
        }

        _master.Dispose();
    }

    private static async Task<PythonWebServer> StartAsync(string program, string[] args, int port, string directory, string identity, string workerMarker, string log)
    {
        var environment = new Dictionary<string, string?>
        {
            ["PROMETHEUS_MULTIPROC_DIR"] = directory,
            ["APP_IDENTITY"] = identity,
        };
        ChildProcess master = ChildProcess.Start(program, args, environment, RepoPaths.UwsgiAppDirectory);
        var server = new PythonWebServer(master, port, directory, workerMarker, log);
        try
        {
            // /metrics touches no app metric, so readiness probes never count as requests.
            await HttpReadiness.WaitUntilServingAsync(new Uri(server.Url + "/metrics"), master, TimeSpan.FromSeconds(30), () => $"Log:\n{server.Log()}");
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }
}
