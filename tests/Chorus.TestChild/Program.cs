using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Chorus.Compaction;
using Chorus.Files;
using Chorus.Storage;

namespace Chorus.TestChild;

/// <summary>
/// A worker process the integration tests start with <c>dotnet Chorus.TestChild.dll SCENARIO DIR ...</c>.
/// It writes metrics into DIR through the public API and reports what it did on stdout, one line per fact.
/// Options come from the environment (<c>CHORUS_VALUE_LAYOUT</c>, <c>CHORUS_IDENTITY</c>), as in production.
/// </summary>
internal static partial class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: Chorus.TestChild increment|progress|paced|hold|slot|write-all|keys|grow|grow-histograms|remove|info-remove|meters|churn DIR [args] | default-registry DIR | compact-crash DIR STEP[:N] | rewrite-crash DIR STEP");
            return 2;
        }

        if (args[0] == "default-registry")
        {
            return DefaultRegistryAfterTheDirectoryAppears(args[1]);
        }

        if (args[0] == "compact-crash")
        {
            return args.Length == 3 ? CompactCrash(args[1], args[2]) : Usage(args[0]);
        }

        var options = ChorusOptions.FromEnvironment();
        options.Directory = args[1];
        if (args[0] == "rewrite-crash")
        {
            return args.Length == 3 ? RewriteCrash(options, args[2]) : Usage(args[0]);
        }

        try
        {
            using MetricRegistry registry = Metrics.NewCustomRegistry(options);
            Console.WriteLine($"slot {registry.Identity}");
            return args[0] switch
            {
                "increment" => Increment(registry, Int(args, 2), Int(args, 3)),
                "progress" => Progress(registry, Int(args, 2)),
                "paced" => Paced(registry, Int(args, 2)),
                "hold" => Hold(registry, args.Length > 2 ? args[2] : "livesum", args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 1),
                "slot" => WaitForStdin(),
                "write-all" => WriteAll(registry),
                "keys" => Keys(registry, Int(args, 2), Int(args, 3), args[4]),
                "grow" => Grow(registry, Int(args, 2)),
                "grow-histograms" => GrowHistograms(registry, Int(args, 2)),
                "remove" => Remove(registry),
                "info-remove" => InfoRemove(registry),
                "meters" => RecordMeters(registry, Int(args, 2)),
                "churn" => Churn(registry, Int(args, 2), args[3]),
                _ => Usage(args[0]),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.WriteLine($"error {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    // Compacts DIR as `chorus compact` does and SIGKILLs itself at the N-th (default first) time it reaches STEP:
    // the crash injection the product does not carry, through the compactor's internal step hook.
    private static int CompactCrash(string directory, string stepAndOccurrence)
    {
        string[] parts = stepAndOccurrence.Split(':');
        if (!Enum.TryParse(parts[0], out CompactionStep crashStep))
        {
            return Usage(parts[0]);
        }

        int occurrence = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        int seen = 0;
        var options = new CompactionOptions
        {
            StepHook = step =>
            {
                if (step == crashStep && ++seen == occurrence)
                {
                    // SIGKILL: no finally blocks, no flushing; exactly what a crash or an OOM kill leaves behind.
                    Process.GetCurrentProcess().Kill();
                }
            },
        };
        CompactionReport report = Compactor.Run(directory, options);
        Console.WriteLine($"finished without reaching {stepAndOccurrence}: {report.Refusal}");
        return 1;
    }

    // Takes an identity as any writer does and SIGKILLs itself when the rewrite of the dead owner's files reaches STEP:
    // the crash injection the product does not carry, through the store's internal step hook.
    private static int RewriteCrash(ChorusOptions options, string stepName)
    {
        if (!Enum.TryParse(stepName, out SlotRewriteStep crashStep))
        {
            return Usage(stepName);
        }

        options.SlotRewriteHook = step =>
        {
            if (step == crashStep)
            {
                Process.GetCurrentProcess().Kill();
            }
        };
        using MetricRegistry registry = Metrics.NewCustomRegistry(options);
        Console.WriteLine($"finished without reaching {stepName}");
        return 1;
    }

    /// <summary>
    /// <see cref="Metrics.DefaultRegistry"/> with <c>PROMETHEUS_MULTIPROC_DIR</c> set to <paramref name="directory"/>, which
    /// does not exist yet (a container whose volume is mounted a moment after the application starts): the first use
    /// fails, and once the directory is there the next one gets a registry.
    /// </summary>
    private static int DefaultRegistryAfterTheDirectoryAppears(string directory)
    {
        try
        {
            Console.WriteLine($"first slot {Metrics.DefaultRegistry.Identity}");
        }
        catch (DirectoryNotFoundException e)
        {
            Console.WriteLine($"first error {e.GetType().Name}");
        }

        Directory.CreateDirectory(directory);
        Metrics.CreateCounter("after", "Counted once the directory exists.").Inc();
        Console.WriteLine($"then slot {Metrics.DefaultRegistry.Identity}");
        Metrics.DefaultRegistry.Dispose();
        return 0;
    }

    private static int Int(string[] args, int index) => int.Parse(args[index], CultureInfo.InvariantCulture);

    private static int Usage(string scenario)
    {
        Console.Error.WriteLine($"unknown scenario '{scenario}'");
        return 2;
    }

    // T threads × M increments on a plain and a labelled counter, plus a histogram observation each.
    private static int Increment(MetricRegistry registry, int threads, int perThread)
    {
        Counter plain = registry.CreateCounter("child_ops", "Operations.");
        Counter labelled = registry.CreateCounter("child_labelled_ops", "Labelled operations.", new CounterConfiguration { LabelNames = ["thread"] });
        Histogram histogram = registry.CreateHistogram("child_latency_seconds", "Latency.");
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            string name = (t % 2).ToString(CultureInfo.InvariantCulture);
            workers[t] = new Thread(() =>
            {
                Counter.Child child = labelled.WithLabels(name);
                for (int i = 0; i < perThread; i++)
                {
                    plain.Inc();
                    child.Inc();
                    histogram.Observe(i % 3 * 0.01);
                }
            });
            workers[t].Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        Console.WriteLine($"done {(long)threads * perThread}");
        return 0;
    }

    // Increments forever; after every batch prints how many increments are complete. Killed by the test.
    private static int Progress(MetricRegistry registry, int batch)
    {
        Counter counter = registry.CreateCounter("child_progress", "Progress.");
        Gauge live = registry.CreateGauge("child_alive", "Alive.", new GaugeConfiguration { Mode = GaugeMode.LiveSum });
        live.Set(1);
        long done = 0;
        for (long round = 0; round < 1_000_000_000; round++)
        {
            for (int i = 0; i < batch; i++)
            {
                counter.Inc();
            }

            done += batch;
            Console.WriteLine($"confirmed {done}");
        }

        return 0;
    }

    // A writer whose label values come and go: `count` series of a counter, a histogram and a max gauge, each used
    // and then removed (Clear), labelled "{tag}-{i}" so every run uses new ones. Two series stay for good and
    // count every run's work: churn_requests_total{id="stable"} (+1 per run) and churn_series_total (+count).
    private static int Churn(MetricRegistry registry, int count, string tag)
    {
        Counter series = registry.CreateCounter("churn_series", "Series created.");
        Counter requests = registry.CreateCounter("churn_requests", "Requests by churning id.", new CounterConfiguration { LabelNames = ["id"] });
        Histogram latency = registry.CreateHistogram("churn_latency_seconds", "Latency by churning id.", new HistogramConfiguration { LabelNames = ["id"], Buckets = [0.1, 1] });
        Gauge last = registry.CreateGauge("churn_last", "Last value by churning id.", new GaugeConfiguration { Mode = GaugeMode.Max, LabelNames = ["id"] });
        for (int i = 0; i < count; i++)
        {
            string id = tag + "-" + i.ToString(CultureInfo.InvariantCulture);
            requests.WithLabels(id).Inc();
            latency.WithLabels(id).Observe(0.5);
            last.WithLabels(id).Set(i);
            series.Inc();
        }

        requests.Clear();
        latency.Clear();
        last.Clear();
        requests.WithLabels("stable").Inc();
        foreach (string note in registry.StorageNotes)
        {
            Console.WriteLine($"note {note}");
        }

        Console.WriteLine("done");
        return 0;
    }

    // One simulated request every PAUSE ms (a labelled counter, a histogram, a live in-progress gauge), each confirmed
    // on stdout after it is counted, so a SIGKILL leaves at most one count unconfirmed (bench/soak). Stops when stdin closes.
    private static int Paced(MetricRegistry registry, int pauseMilliseconds)
    {
        string[] routes = ["/", "/api/items", "/api/users"];
        Counter requests = registry.CreateCounter("soak_requests", "Simulated requests.", new CounterConfiguration { LabelNames = ["route"] });
        Histogram duration = registry.CreateHistogram("soak_request_duration_seconds", "Simulated request duration.", new HistogramConfiguration { Buckets = [0.001, 0.01] });
        Gauge inProgress = registry.CreateGauge("soak_requests_in_progress", "Requests being served.", new GaugeConfiguration { Mode = GaugeMode.LiveSum });
        using var stop = new ManualResetEventSlim();
        new Thread(() =>
        {
            _ = Console.In.ReadToEnd();
            stop.Set();
        }) { IsBackground = true }.Start();
        long confirmed = 0;
        while (!stop.Wait(pauseMilliseconds))
        {
            long start = Stopwatch.GetTimestamp();
            using (inProgress.TrackInProgress())
            {
                requests.WithLabels(routes[confirmed % routes.Length]).Inc();
            }

            duration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            Console.WriteLine($"confirmed {++confirmed}");
        }

        Console.WriteLine($"done {confirmed}");
        return 0;
    }

    // Two labelled series, one removed again; the process then exits (its slot becomes dead).
    private static int Remove(MetricRegistry registry)
    {
        Counter counter = registry.CreateCounter("child_removal", "Removal.", new CounterConfiguration { LabelNames = ["k"] });
        counter.WithLabels("x").Inc(2);
        counter.WithLabels("y").Inc(1);
        counter.Remove("x");
        Console.WriteLine("done");
        return 0;
    }

    // Labelled info facts, one series removed and another metric cleared; then waits until stdin closes (stays live).
    private static int InfoRemove(MetricRegistry registry)
    {
        Info build = registry.CreateInfo("ir_build", "Build facts.", new InfoConfiguration { LabelNames = ["component"] });
        build.WithLabels("a").Set(new Dictionary<string, string> { ["version"] = "1" });
        build.WithLabels("b").Set(new Dictionary<string, string> { ["version"] = "2" });
        Info cleared = registry.CreateInfo("ir_cleared", "Cleared facts.", new InfoConfiguration { LabelNames = ["k"] });
        cleared.WithLabels("x").Set(new Dictionary<string, string> { ["v"] = "1" });
        cleared.WithLabels("y").Set(new Dictionary<string, string> { ["v"] = "2" });
        Console.WriteLine($"removed {build.Remove("a")}");
        cleared.Clear();
        return WaitForStdin();
    }

    // Creates many series with long keys so the file grows several times while a reader watches.
    private static int Grow(MetricRegistry registry, int series)
    {
        Counter counter = registry.CreateCounter("child_grow", "Growth.", new CounterConfiguration { LabelNames = ["k"] });
        for (int i = 0; i < series; i++)
        {
            counter.WithLabels(LongLabel(i)).Inc(i + 1);
        }

        return NotesThenDone(registry);
    }

    // One observation of i + 0.5 into each of `children` histogram children with long label values, so their file fills a
    // small file system part way through some child.
    private static int GrowHistograms(MetricRegistry registry, int children)
    {
        Histogram histogram = registry.CreateHistogram("child_latency", "Growth.", new HistogramConfiguration { LabelNames = ["k"] });
        for (int i = 0; i < children; i++)
        {
            histogram.WithLabels(LongLabel(i)).Observe(i + 0.5);
        }

        return NotesThenDone(registry);
    }

    private static string LongLabel(int i) => new string('p', 200) + i.ToString(CultureInfo.InvariantCulture);

    private static int NotesThenDone(MetricRegistry registry)
    {
        foreach (string note in registry.StorageNotes)
        {
            Console.WriteLine($"note {note}");
        }

        Console.WriteLine("done");
        return 0;
    }

    // Sets gauges in every mode the layout supports, and a counter, then waits until stdin closes.
    private static int Hold(MetricRegistry registry, string modeName, double value)
    {
        if (!GaugeModes.TryParse(modeName, out GaugeMode mode))
        {
            return Usage(modeName);
        }

        registry.CreateGauge("child_held", "Held.", new GaugeConfiguration { Mode = mode }).Set(value);
        registry.CreateCounter("child_held_ops", "Ops.").Inc(value);
        Console.WriteLine("ready");
        return WaitForStdin();
    }

    private static int WaitForStdin()
    {
        Console.WriteLine("waiting");
        _ = Console.In.ReadToEnd();
        return 0;
    }

    // Every metric type, labels with awkward values, for comparisons with prometheus_client's collector.
    private static int WriteAll(MetricRegistry registry)
    {
        string id = registry.Identity ?? "x";
        int n = int.Parse(id, CultureInfo.InvariantCulture) + 1;
        Counter counter = registry.CreateCounter("wa_requests_total", "Requests \"served\"\nby route \\ path.", new CounterConfiguration { LabelNames = ["route", "code"] });
        counter.WithLabels("/a", "200").Inc(n);
        counter.WithLabels("/日本", "500").Inc(0.5 * n);
        counter.WithLabels("quote\"back\\slash\nnl", "").Inc();
        registry.CreateCounter("wa_bytes", "Bytes.", new CounterConfiguration { Namespace = "ns", Subsystem = "sub", Unit = "bytes" }).Inc(1024 * n);
        foreach (GaugeMode mode in Enum.GetValues<GaugeMode>())
        {
            if (mode is GaugeMode.MostRecent or GaugeMode.LiveMostRecent && registry.ValueLayout == ValueLayout.Value8)
            {
                continue;
            }

            Gauge gauge = registry.CreateGauge("wa_gauge_" + mode.ToFileName(), "Gauge in mode " + mode.ToFileName() + ".", new GaugeConfiguration { Mode = mode, LabelNames = ["kind"] });
            gauge.WithLabels("a").Set(n * 10);
            gauge.WithLabels("b").Set(-n);
        }

        Histogram histogram = registry.CreateHistogram("wa_latency_seconds", "Latency.", new HistogramConfiguration { LabelNames = ["route"] });
        histogram.WithLabels("/a").Observe(0.02 * n);
        histogram.WithLabels("/a").Observe(3);
        histogram.WithLabels("/b").Observe(100);
        Histogram custom = registry.CreateHistogram("wa_custom", "Custom buckets.", new HistogramConfiguration { Buckets = [-1, 0, 1e6, 1e10] });
        custom.Observe(-5);
        custom.Observe(5e9);
        Summary summary = registry.CreateSummary("wa_size_bytes", "Sizes.");
        summary.Observe(100 * n);
        registry.CreateInfo("wa_build", "Build facts.").Set(new Dictionary<string, string> { ["version"] = "1.2.3", ["commit"] = "abc" });
        registry.CreateEnum("wa_state", "State.", new EnumConfiguration { States = ["starting", "running", "stopped"] }).State("running");
        Console.WriteLine("done");
        return 0;
    }

    // `count` series with random unicode label values and help from `seed`; writes their parts as JSON to `manifest`.
    private static int Keys(MetricRegistry registry, int seed, int count, string manifest)
    {
        var random = new Random(seed);
        var entries = new List<string[]>();
        for (int i = 0; i < count; i++)
        {
            string help = RandomText(random, 12);
            string value = RandomText(random, 16);
            string name = "k" + i.ToString(CultureInfo.InvariantCulture);
            registry.CreateGauge(name, help, new GaugeConfiguration { Mode = GaugeMode.Max, LabelNames = ["v", "a"] }).WithLabels(value, "x").Set(i);
            entries.Add([name, name, value, help]);
        }

        File.WriteAllText(manifest, JsonSerializer.Serialize(entries));
        Console.WriteLine("done");
        return 0;
    }

    private static string RandomText(Random random, int maxLength)
    {
        int length = random.Next(maxLength + 1);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < length; i++)
        {
            switch (random.Next(6))
            {
                case 0:
                    text.Append((char)random.Next(0x20, 0x7F));
                    break;
                case 1:
                    text.Append((char)random.Next(0, 0x20));
                    break;
                case 2:
                    text.Append((char)random.Next(0x7F, 0x800));
                    break;
                case 3:
                    text.Append((char)random.Next(0x800, 0xD800));
                    break;
                case 4:
                    text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF)));
                    break;
                default:
                    text.Append("\"\\/\u2028\uFEFF"[random.Next(5)]);
                    break;
            }
        }

        return text.ToString();
    }
}
