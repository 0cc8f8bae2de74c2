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
    private static readonly Lazy<MetricRegistry> s_default = new(() => new MetricRegistry(ChorusOptions.FromEnvironment()));

    /// <summary>
    /// The registry configured from the environment (<see cref="ChorusOptions.FromEnvironment"/>), created on first use.
    /// </summary>
    /// <exception cref="InvalidOperationException">The environment names a directory that cannot be used (the inner exception says why).</exception>
    public static MetricRegistry DefaultRegistry => s_default.Value;

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
}
