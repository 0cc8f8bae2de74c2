namespace Chorus.TestSupport;

/// <summary>
/// Where a test run finds the repository, the built <c>chorus</c> tool and test child, the Python scripts, the
/// committed vectors and the fetched prometheus_client 0.21. Everything is inside the repository.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    /// <summary>The repository root: the first directory above the test assembly holding <c>Chorus.slnx</c>.</summary>
    public static string Root => s_repoRoot.Value;

    /// <summary>The vectors written by real prometheus_client 0.16 and 0.21 (<c>tests/vectors</c>, made by its <c>generate.sh</c>).</summary>
    public static string Vectors => ExistingDirectory(Path.Combine(Root, "tests", "vectors"), "v16", "run tests/vectors/generate.sh");

    /// <summary>
    /// prometheus_client 0.21.1 unpacked from Debian trixie's package by <c>tests/peers/fetch-prometheus-client-0.21.sh</c>
    /// (which <c>scripts/test.sh</c> runs): the folder to put on <c>PYTHONPATH</c>.
    /// </summary>
    public static string PrometheusClient021 => ExistingDirectory(
        Path.Combine(Root, "tests", "peers", "prometheus_client-0.21", "usr", "lib", "python3", "dist-packages"),
        "prometheus_client",
        "run tests/peers/fetch-prometheus-client-0.21.sh");

    /// <summary>The NativeAOT <c>chorus</c> that <c>scripts/pack.sh</c> writes.</summary>
    public static string NativeChorus => Path.Combine(Root, "artifacts", "bin", "linux-x64", "chorus");

    /// <summary>The packages that <c>scripts/pack.sh</c> writes.</summary>
    public static string PackagesDirectory => Path.Combine(Root, "artifacts", "packages");

    /// <summary>The built CLI (<c>src/Chorus.Cli/bin/&lt;cfg&gt;/&lt;tfm&gt;/chorus.dll</c>).</summary>
    public static string ChorusDll => BuiltAssembly(Path.Combine("src", "Chorus.Cli"), "chorus.dll");

    /// <summary>The pre-built worker child (<c>tests/Chorus.TestChild/bin/&lt;cfg&gt;/&lt;tfm&gt;/Chorus.TestChild.dll</c>).</summary>
    public static string TestChildDll => BuiltAssembly(Path.Combine("tests", "Chorus.TestChild"), "Chorus.TestChild.dll");

    /// <summary>The pre-built ASP.NET Core sample (<c>samples/aspnetcore-app/bin/&lt;cfg&gt;/&lt;tfm&gt;/aspnetcore-app.dll</c>).</summary>
    public static string AspNetCoreSampleDll => BuiltAssembly(Path.Combine("samples", "aspnetcore-app"), "aspnetcore-app.dll");

    /// <summary>The committed directory written by real prometheus_client workers (<c>samples/python-multiproc</c>).</summary>
    public static string PythonMultiprocSample => Path.Combine(Root, "samples", "python-multiproc");

    /// <summary>The article's uWSGI/gunicorn app and its scripts (<c>samples/uwsgi-app</c>).</summary>
    public static string UwsgiAppDirectory => Path.Combine(Root, "samples", "uwsgi-app");

    /// <summary>The Python slot helper and its tests (<c>integrations/python</c>).</summary>
    public static string SlotHelperDirectory => Path.Combine(Root, "integrations", "python");

    /// <summary>A script of the Python peer harness (<c>python/</c>, copied to the output directory).</summary>
    public static string PythonScript(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "python", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Python harness script {name} is missing from the test output.", path);
        }

        return path;
    }

    /// <summary>
    /// An assembly in a project's own output directory, of the same configuration and target framework as this
    /// test assembly (whose <c>bin/&lt;cfg&gt;/&lt;tfm&gt;/</c> mirrors it).
    /// </summary>
    private static string BuiltAssembly(string project, string fileName)
    {
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = tfmDir.Parent?.Name ?? "Release";
        string path = Path.Combine(Root, project, "bin", configuration, tfmDir.Name, fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{fileName} is not built at {path}; build tests/Chorus.IntegrationTests (it builds {project}) first.", path);
        }

        return path;
    }

    /// <summary><paramref name="path"/>, after checking that it holds <paramref name="child"/>.</summary>
    private static string ExistingDirectory(string path, string child, string remedy) =>
        Directory.Exists(Path.Combine(path, child)) ? path : throw new DirectoryNotFoundException($"{Path.Combine(path, child)} is missing: {remedy}.");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Chorus.slnx above {AppContext.BaseDirectory}.");
    }
}
