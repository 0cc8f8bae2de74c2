namespace Chorus;

/// <summary>
/// The quick way in: metrics created here live in <see cref="DefaultRegistry"/>, which is multiprocess when
/// <c>PROMETHEUS_MULTIPROC_DIR</c> is set (as in prometheus_client) and in memory otherwise.
/// </summary>
/// <example>
/// <code>
/// var requests = Metrics.CreateCounter("requests", "Requests served.", new CounterConfiguration { LabelNames = ["route"] });
/// requests.WithLabels("/").Inc();
/// </code>
/// </example>
public static class Metrics
{
    private static readonly Lock s_gate = new();

    // Set once a registry was made; a failure is not kept (Lazy<T> would throw it for the life of the process, when the
    // directory is created a moment later or a slot frees up during a rolling restart).
    private static MetricRegistry? s_default;

    /// <summary>
    /// The registry configured from the environment (<see cref="ChorusOptions.FromEnvironment"/>), created on first use.
    /// When it cannot be created, the next use tries again.
    /// </summary>
    /// <exception cref="ArgumentException">An environment variable has a value Chorus does not understand.</exception>
    /// <exception cref="InvalidOperationException">No identity could be taken (custom identity in use by a live process, no free slot).</exception>
    /// <exception cref="DirectoryNotFoundException"><c>PROMETHEUS_MULTIPROC_DIR</c> names a directory that does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static MetricRegistry DefaultRegistry => Volatile.Read(ref s_default) ?? CreateDefault();

    /// <summary>
    /// A registry of its own: in memory when <paramref name="options"/> is null or has no directory;
    /// otherwise multiprocess in that directory.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <exception cref="InvalidOperationException">No identity could be taken (custom identity in use by a live process, no free slot).</exception>
    public static MetricRegistry NewCustomRegistry(ChorusOptions? options = null) => new(options);

    /// <inheritdoc cref="MetricRegistry.CreateCounter"/>
    public static Counter CreateCounter(string name, string help, CounterConfiguration? configuration = null) =>
        DefaultRegistry.CreateCounter(name, help, configuration);

    /// <inheritdoc cref="MetricRegistry.CreateGauge"/>
    public static Gauge CreateGauge(string name, string help, GaugeConfiguration? configuration = null) =>
        DefaultRegistry.CreateGauge(name, help, configuration);

    /// <inheritdoc cref="MetricRegistry.CreateHistogram"/>
    public static Histogram CreateHistogram(string name, string help, HistogramConfiguration? configuration = null) =>
        DefaultRegistry.CreateHistogram(name, help, configuration);

    /// <inheritdoc cref="MetricRegistry.CreateSummary"/>
    public static Summary CreateSummary(string name, string help, SummaryConfiguration? configuration = null) =>
        DefaultRegistry.CreateSummary(name, help, configuration);

    /// <inheritdoc cref="MetricRegistry.CreateInfo"/>
    public static Info CreateInfo(string name, string help, InfoConfiguration? configuration = null) =>
        DefaultRegistry.CreateInfo(name, help, configuration);

    /// <inheritdoc cref="MetricRegistry.CreateEnum"/>
    public static EnumMetric CreateEnum(string name, string help, EnumConfiguration configuration) =>
        DefaultRegistry.CreateEnum(name, help, configuration);

    private static MetricRegistry CreateDefault()
    {
        lock (s_gate)
        {
            if (s_default is null)
            {
                Volatile.Write(ref s_default, new MetricRegistry(ChorusOptions.FromEnvironment()));
            }

            return s_default;
        }
    }
}
