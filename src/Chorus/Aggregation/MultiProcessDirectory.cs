using System.Buffers;
using System.Diagnostics;
using System.IO.Enumeration;
using Chorus.Exposition;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// A prometheus_client multiprocess directory (<c>PROMETHEUS_MULTIPROC_DIR</c>) merged into metric families
/// exactly as prometheus_client's <c>MultiProcessCollector</c> does, read incrementally: keys are parsed once
/// per file and later collections only re-read values and parse appended entries.
/// </summary>
/// <remarks>
/// <para>Thread-safe: concurrent collections are serialised and each one reads the directory afresh.</para>
/// <para>Never throws for bad files: damaged files contribute their complete entries, unreadable or
/// unrecognised ones are skipped, and <see cref="LastReport"/> says which and why.</para>
/// <para>Output order: families by name; inside a family label sets sorted; per label set a histogram's
/// buckets ascending, then <c>_count</c>, then <c>_sum</c>; other samples by name.</para>
/// </remarks>
public sealed class MultiProcessDirectory : IScrapeSource, IDisposable
{
    private readonly Lock _gate = new();
    private readonly MultiProcessDirectoryOptions _options;
    private readonly KeyTable _keys = new();
    private readonly FileLoader _loader;
    private readonly Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileState>.AlternateLookup<ReadOnlySpan<char>> _filesBySpan;
    private readonly List<FileState> _ordered = [];
    private readonly List<MetricFamily> _output = [];
    private int _generation;
    private bool _disposed;

    private MultiProcessDirectory(string directory, MultiProcessDirectoryOptions options)
    {
        Directory = directory;
        _options = options;
        _loader = new FileLoader(_keys);
        _filesBySpan = _files.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The directory read.</summary>
    public string Directory { get; }

    /// <summary>What the last collection did (files read, skipped and damaged, bytes, time).</summary>
    public CollectionReport LastReport { get; private set; } = CollectionReport.None;

    /// <summary>Opens a directory for collection. Nothing is read until the first collection.</summary>
    /// <param name="directory">The multiprocess directory.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist (or is a file).</exception>
    public static MultiProcessDirectory Open(string directory, MultiProcessDirectoryOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(File.Exists(directory)
                ? $"'{directory}' is a file, not a directory."
                : $"The directory '{directory}' does not exist.");
        }

        return new MultiProcessDirectory(Path.GetFullPath(directory), options ?? MultiProcessDirectoryOptions.Default);
    }

    /// <summary>Collects and writes the whole exposition in <paramref name="format"/>.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    public void Collect(IBufferWriter<byte> output, ExpositionFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_gate)
        {
            CollectCore();
            ExpositionWriter.Write(output, _output, format);
        }
    }

    /// <summary>Collects and returns a copy of the merged families (for tests, tools and compaction; allocates).</summary>
    public IReadOnlyList<MetricFamily> CollectFamilies()
    {
        lock (_gate)
        {
            CollectCore();
            var copy = new List<MetricFamily>(_output.Count);
            foreach (MetricFamily family in _output)
            {
                var clone = new MetricFamily(family.Name, family.Type, family.Help, family.Unit);
                clone.Samples.AddRange(family.Samples);
                copy.Add(clone);
            }

            return copy;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _loader.Dispose();
            }
        }
    }

    private void CollectCore()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long started = Stopwatch.GetTimestamp();
        int generation = ++_generation;
        _loader.BytesRead = 0;
        _loader.EntriesParsed = 0;
        List<FileProblem> problems = [];
        string? directoryError = List(generation);

        int filesRead = 0;
        int entries = 0;
        List<FileState>? vanished = null;
        foreach (FileState file in _ordered)
        {
            if (file.NameError is not null)
            {
                problems.Add(new FileProblem(file.FileName, FileProblemKind.UnrecognizedName, file.NameError, DbDamage.None, 0));
                continue;
            }

            FileProblem? problem = _loader.Load(file);
            if (problem is not null)
            {
                problems.Add(problem);
                if (problem.Kind == FileProblemKind.Vanished)
                {
                    (vanished ??= []).Add(file);
                }

                if (problem.Kind != FileProblemKind.Damaged)
                {
                    continue;
                }
            }

            filesRead++;
        }

        // prometheus_client keeps the gauge mode of the last file read for each family.
        foreach (FileState file in _ordered)
        {
            if (file.Name.Kind == DbFileKind.Gauge && file.NameError is null && file.Count > 0)
            {
                foreach (FamilyState family in file.Families)
                {
                    family.Mode = file.Name.Mode ?? GaugeMode.All;
                }
            }
        }

        foreach (FileState file in _ordered)
        {
            EntryTarget[] targets = file.Targets;
            double[] values = file.Values;
            double[] stamps = file.Timestamps;
            for (int i = 0; i < file.Count; i++)
            {
                MergeRules.Apply(targets[i], values[i], stamps[i], generation);
            }

            entries += file.Count;
        }

        _output.Clear();
        foreach (FamilyState family in _keys.OrderedFamilies)
        {
            if (family.Generation == generation)
            {
                MergeRules.Emit(family, generation, _options.Accumulate);
                _output.Add(family.Output);
            }
        }

        if (vanished is not null)
        {
            foreach (FileState file in vanished)
            {
                _files.Remove(file.FileName);
                _ordered.Remove(file);
            }
        }

        LastReport = new CollectionReport(_ordered.Count + (vanished?.Count ?? 0), filesRead, _loader.BytesRead, _loader.EntriesParsed, entries, _output.Count, Stopwatch.GetElapsedTime(started), problems, directoryError);
    }

    /// <summary>Lists <c>*.db</c> files, reusing the state of known names without allocating for them.</summary>
    private string? List(int generation)
    {
        bool changed = false;
        try
        {
            var enumerable = new FileSystemEnumerable<FileState>(
                Directory,
                (ref FileSystemEntry entry) =>
                {
                    if (!_filesBySpan.TryGetValue(entry.FileName, out FileState? state))
                    {
                        string name = entry.FileName.ToString();
                        state = new FileState(name, Path.Join(Directory, name));
                        _files.Add(name, state);
                        changed = true;
                    }

                    return state;
                },
                new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0 })
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) =>
                    !entry.IsDirectory && entry.FileName.EndsWith(".db", StringComparison.Ordinal) &&
                    (_options.FileFilter is null || _options.FileFilter(entry.FileName.ToString())),
            };
            foreach (FileState state in enumerable)
            {
                state.Listed = generation;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The directory itself is gone or unreadable: report it and serve nothing rather than stale data.
            foreach (FileState state in _ordered)
            {
                state.Listed = 0;
            }

            RemoveUnlisted(generation);
            return $"cannot list '{Directory}': {e.Message}";
        }

        if (RemoveUnlisted(generation) || changed)
        {
            _ordered.Clear();
            _ordered.AddRange(_files.Values);
            _ordered.Sort(static (a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        }

        return null;
    }

    private bool RemoveUnlisted(int generation)
    {
        List<string>? gone = null;
        foreach (FileState state in _files.Values)
        {
            if (state.Listed != generation)
            {
                (gone ??= []).Add(state.FileName);
            }
        }

        if (gone is null)
        {
            return false;
        }

        foreach (string name in gone)
        {
            _files.Remove(name);
        }

        _ordered.RemoveAll(s => s.Listed != generation);
        return true;
    }
}
