using System.Globalization;

namespace Chorus;

/// <summary>Where and how a <see cref="MetricRegistry"/> stores values.</summary>
/// <remarks>
/// With <see cref="Directory"/> null the registry keeps values in process memory. With a directory, every
/// value lives in prometheus_client-format <c>.db</c> files there, shared with the other processes.
/// <see cref="FromEnvironment"/> reads the same variables prometheus_client does.
/// </remarks>
public sealed class ChorusOptions
{
    /// <summary>The environment variable that names the multiprocess directory (as prometheus_client).</summary>
    public const string DirectoryVariable = "PROMETHEUS_MULTIPROC_DIR";

    /// <summary>The lowercase spelling older prometheus_client versions used.</summary>
    public const string LegacyDirectoryVariable = "prometheus_multiproc_dir";

    /// <summary>Set to <c>8</c> to write the 8-byte value layout of prometheus_client 0.16/0.17.</summary>
    public const string ValueLayoutVariable = "CHORUS_VALUE_LAYOUT";

    /// <summary><c>slot</c> (default), <c>pid</c>, or any other text as a custom identity.</summary>
    public const string IdentityVariable = "CHORUS_IDENTITY";

    /// <summary>The multiprocess directory; null (the default) keeps values in memory.</summary>
    public string? Directory { get; set; }

    /// <summary>
    /// The value layout written to files. Default: <see cref="ValueLayout.ValueAndTimestamp16"/>
    /// (prometheus_client 0.18 and newer); use <see cref="ValueLayout.Value8"/> to share a directory with 0.16/0.17.
    /// </summary>
    public ValueLayout ValueLayout { get; set; } = ValueLayout.ValueAndTimestamp16;

    /// <summary>How files are named. Default: <see cref="IdentityKind.Slot"/>.</summary>
    public IdentityKind Identity { get; set; } = IdentityKind.Slot;

    /// <summary>The name used with <see cref="IdentityKind.Custom"/>: letters, digits, <c>.</c> and <c>-</c> (no <c>_</c>).</summary>
    public string? CustomIdentity { get; set; }

    /// <summary>The highest number of slots tried before giving up. Default: 65536.</summary>
    public int MaxSlots { get; set; } = 65536;

    /// <summary>
    /// The <see cref="System.Diagnostics.Metrics.Meter"/>s a registry created with these options records (none by
    /// default). See <see cref="MeterOptions"/>.
    /// </summary>
    public MeterOptions Meters { get; } = new();

    /// <summary>
    /// Whether a registry created with these options exports the process metrics (see
    /// <see cref="MetricRegistry.AddProcessMetrics"/>). Default: false, so a registry made by hand holds exactly
    /// the metrics created in it; <c>AddChorus</c> in ASP.NET Core turns them on unless told otherwise.
    /// </summary>
    public bool ProcessMetrics { get; set; }

    /// <summary>
    /// Called after each step of a slot file's rewrite when an identity changes hands. Internal and visible only to
    /// the test assemblies: the crash tests stop the process there; the product reads no such switch.
    /// </summary>
    internal Action<Storage.SlotRewriteStep>? SlotRewriteHook { get; set; }

    /// <summary>Records the meters with these names (or <c>*</c> patterns such as <c>"System.Net.*"</c>) into the registry.</summary>
    /// <param name="names">Meter names or patterns.</param>
    /// <returns>These options.</returns>
    public ChorusOptions AddMeter(params string[] names)
    {
        Meters.AddMeter(names);
        return this;
    }

    /// <summary>
    /// Options from the environment: <c>PROMETHEUS_MULTIPROC_DIR</c> (or the lowercase legacy spelling),
    /// <c>CHORUS_VALUE_LAYOUT</c> (<c>8</c> or <c>16</c>) and <c>CHORUS_IDENTITY</c> (<c>slot</c>, <c>pid</c> or a name).
    /// </summary>
    /// <exception cref="ArgumentException">A variable has a value Chorus does not understand.</exception>
    public static ChorusOptions FromEnvironment()
    {
        var options = new ChorusOptions
        {
            Directory = NullIfEmpty(Environment.GetEnvironmentVariable(DirectoryVariable))
                ?? NullIfEmpty(Environment.GetEnvironmentVariable(LegacyDirectoryVariable)),
        };

        string? layout = NullIfEmpty(Environment.GetEnvironmentVariable(ValueLayoutVariable));
        options.ValueLayout = layout switch
        {
            null or "16" => ValueLayout.ValueAndTimestamp16,
            "8" => ValueLayout.Value8,
            _ => throw new ArgumentException($"{ValueLayoutVariable}='{layout}' is not understood: use 8 (prometheus_client 0.16/0.17) or 16 (0.18 and newer)."),
        };

        string? identity = NullIfEmpty(Environment.GetEnvironmentVariable(IdentityVariable));
        switch (identity?.ToLower(CultureInfo.InvariantCulture))
        {
            case null or "slot":
                options.Identity = IdentityKind.Slot;
                break;
            case "pid":
                options.Identity = IdentityKind.Pid;
                break;
            default:
                options.Identity = IdentityKind.Custom;
                options.CustomIdentity = identity;
                break;
        }

        return options;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
