using Chorus.Exposition;
using System.Text.RegularExpressions;
using Chorus.Meters;
using FsCheck.Xunit;

namespace Chorus.Tests.Meters;

/// <summary>
/// Name and unit conversion against the OpenTelemetry "Prometheus and OpenMetrics compatibility" rules
/// (OTLP metric points to Prometheus): sanitising, unit words, <c>a/b</c>, annotations, <c>ratio</c>, <c>_total</c>.
/// </summary>
public sealed partial class PrometheusNamingTests
{
    // The unit table: UCUM abbreviation → the word the spec's implementations append.
    private static readonly (string Ucum, string Word)[] s_units =
    [
        ("d", "days"), ("h", "hours"), ("min", "minutes"), ("s", "seconds"), ("ms", "milliseconds"), ("us", "microseconds"),
        ("ns", "nanoseconds"), ("By", "bytes"), ("KiBy", "kibibytes"), ("MiBy", "mebibytes"), ("GiBy", "gibibytes"),
        ("TiBy", "tebibytes"), ("KBy", "kilobytes"), ("MBy", "megabytes"), ("GBy", "gigabytes"), ("TBy", "terabytes"),
        ("m", "meters"), ("V", "volts"), ("A", "amperes"), ("J", "joules"), ("W", "watts"), ("g", "grams"),
        ("Cel", "celsius"), ("Hz", "hertz"), ("%", "percent"),
    ];

    private static readonly (string Ucum, string Word)[] s_perUnits =
        [("s", "second"), ("m", "minute"), ("h", "hour"), ("d", "day"), ("w", "week"), ("mo", "month"), ("y", "year")];

    // Name parts that are neither unit words nor "total", so the suffix rules apply untouched.
    private static readonly string[] s_words = ["http", "server", "request", "duration", "kestrel", "active", "connections", "gc", "queue", "depth", "x1"];

    private static readonly string[] s_separators = [".", "-", "/", " ", "..", "_", "é", "$"];

    private static readonly string[] s_notes = ["request", "packet", "x.y z", ""];

    private static readonly MetricType[] s_kinds = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram];

    [Theory]
    [InlineData("http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds")]
    [InlineData("kestrel.active_connections", "{connection}", "gauge", "kestrel_active_connections")]
    [InlineData("dotnet.gc.collections", "{collection}", "counter", "dotnet_gc_collections")]
    [InlineData("dotnet.process.memory.working_set", "By", "gauge", "dotnet_process_memory_working_set_bytes")]
    [InlineData("db.client.operation.duration", "ms", "histogram", "db_client_operation_duration_milliseconds")]
    [InlineData("system.cpu.utilization", "1", "gauge", "system_cpu_utilization_ratio")]
    [InlineData("hits", "1", "counter", "hits")]
    [InlineData("network.io", "By/s", "gauge", "network_io_bytes_per_second")]
    [InlineData("packets", "{packet}/s", "gauge", "packets_per_second")]
    [InlineData("bytes_read", "By", "counter", "bytes_read")]
    [InlineData("requests_total", null, "counter", "requests")]
    [InlineData("2xx.responses", null, "counter", "_2xx_responses")]
    [InlineData("a..b--c", "", "gauge", "a_b_c")]
    [InlineData("ns:name", "s", "gauge", "ns:name_seconds")]
    public void FamilyName_FollowsTheSpecExamples(string name, string? unit, string kind, string expected) =>
        Assert.Equal(expected, PrometheusNaming.FamilyName(name, unit, Enum.Parse<MetricType>(kind, ignoreCase: true)));

    [Theory]
    [InlineData("http.route", "http_route")]
    [InlineData("http.response.status_code", "http_response_status_code")]
    [InlineData("ns:key", "ns_key")]
    [InlineData("1st", "_1st")]
    [InlineData("__reserved", "_reserved")]
    public void LabelNames_AreSanitised(string key, string expected) => Assert.Equal(expected, PrometheusNaming.SanitizeLabelName(key));

    [Property(MaxTest = 500)]
    public bool SanitisedNames_AreValidPrometheusNames(string? raw)
    {
        string name = raw ?? string.Empty;
        return MetricName().IsMatch(PrometheusNaming.SanitizeMetricName(name)) && LabelName().IsMatch(PrometheusNaming.SanitizeLabelName(name))
            && !PrometheusNaming.SanitizeMetricName(name).Contains("__", StringComparison.Ordinal);
    }

    [Property(MaxTest = 500)]
    public bool UnitWords_AreAppendedOnce(byte[] picks, byte unitPick, byte kindPick)
    {
        string name = JoinedName(picks);
        (string ucum, string word) = s_units[unitPick % s_units.Length];
        MetricType kind = s_kinds[kindPick % s_kinds.Length];
        string expected = Reference(name) + "_" + word;
        string family = PrometheusNaming.FamilyName(name, ucum, kind);

        // Applying the unit again changes nothing: the name already carries the word.
        return family == expected && PrometheusNaming.FamilyName(family, ucum, kind) == expected;
    }

    [Property(MaxTest = 300)]
    public bool Rates_BecomePer_AndAnnotationsVanish(byte[] picks, byte unitPick, byte perPick, byte notePick)
    {
        string name = JoinedName(picks);
        (string ucum, string word) = s_units[unitPick % s_units.Length];
        (string perUcum, string perWord) = s_perUnits[perPick % s_perUnits.Length];
        string note = s_notes[notePick % s_notes.Length];
        return PrometheusNaming.FamilyName(name, ucum + "/" + perUcum, MetricType.Gauge) == $"{Reference(name)}_{word}_per_{perWord}"
            && PrometheusNaming.FamilyName(name, "{" + note + "}/" + perUcum, MetricType.Gauge) == $"{Reference(name)}_per_{perWord}"
            && PrometheusNaming.FamilyName(name, "{" + note + "}", MetricType.Counter) == Reference(name);
    }

    [Property(MaxTest = 200)]
    public bool RatioIsForGaugesOnly(byte[] picks)
    {
        string name = JoinedName(picks);
        return PrometheusNaming.FamilyName(name, "1", MetricType.Gauge) == Reference(name) + "_ratio"
            && PrometheusNaming.FamilyName(name, "1", MetricType.Counter) == Reference(name)
            && PrometheusNaming.FamilyName(name, "1", MetricType.Histogram) == Reference(name);
    }

    [Property(MaxTest = 300)]
    public bool Counters_EndInTotalOnce(byte[] picks, bool withTotal)
    {
        string name = JoinedName(picks) + (withTotal ? ".total" : string.Empty);
        string family = PrometheusNaming.FamilyName(name, null, MetricType.Counter);

        // The family never ends in _total; the sample (family + "_total") has exactly one.
        return !family.EndsWith("_total", StringComparison.Ordinal) && family + "_total" == Reference(JoinedName(picks)) + "_total";
    }

    // The spec's rule written out naively: every character outside [a-zA-Z0-9_:] to '_', then runs of '_' to one.
    private static string Reference(string name)
    {
        string replaced = new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c == ':' ? c : '_')]);
        string collapsed = Underscores().Replace(replaced, "_");
        return char.IsAsciiDigit(collapsed[0]) ? "_" + collapsed : collapsed;
    }

    private static string JoinedName(byte[] picks)
    {
        var builder = new System.Text.StringBuilder(s_words[picks.Length > 0 ? picks[0] % s_words.Length : 0]);
        for (int i = 1; i + 1 < Math.Min(picks.Length, 9); i += 2)
        {
            builder.Append(s_separators[picks[i] % s_separators.Length]).Append(s_words[picks[i + 1] % s_words.Length]);
        }

        return builder.ToString();
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex("_+")]
    private static partial Regex Underscores();
}
