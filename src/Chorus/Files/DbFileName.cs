namespace Chorus.Files;

/// <summary>
/// The parts of a <c>.db</c> file name: <c>{type}_{id}.db</c>, or <c>gauge_{mode}_{id}.db</c> for gauges.
/// </summary>
/// <param name="Kind">The metric type.</param>
/// <param name="Mode">The gauge mode, for gauge files.</param>
/// <param name="Identity">
/// The writer identity as prometheus_client's collector reads it: for gauges the third
/// <c>_</c>-separated part without <c>.db</c> (the <c>pid</c> label value); for other types everything after the first <c>_</c>.
/// </param>
public readonly record struct DbFileName(DbFileKind Kind, GaugeMode? Mode, string Identity)
{
    /// <summary>The gauge mode as the file name spells it (<c>livesum</c>), or null for other kinds.</summary>
    public string? ModeName => Mode?.ToFileName();

    /// <summary>The file name for these parts.</summary>
    public override string ToString() => Kind switch
    {
        DbFileKind.Gauge => $"gauge_{(Mode ?? GaugeMode.All).ToFileName()}_{Identity}.db",
        DbFileKind.Counter => $"counter_{Identity}.db",
        DbFileKind.Histogram => $"histogram_{Identity}.db",
        _ => $"summary_{Identity}.db",
    };

    /// <summary>Parses a file name (not a path). Returns false with a reason for names the collector cannot use.</summary>
    /// <param name="fileName">The file name, for example <c>gauge_livesum_123.db</c>.</param>
    /// <param name="name">The parsed parts.</param>
    /// <param name="error">Why the name is not usable.</param>
    public static bool TryParse(string fileName, out DbFileName name, out string? error)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        name = default;
        error = null;
        if (!fileName.EndsWith(".db", StringComparison.Ordinal))
        {
            error = "not a .db file";
            return false;
        }

        // Parsed in place rather than split: a listing of 10,000 files parses 10,000 names, and only the identity is kept.
        ReadOnlySpan<char> text = fileName;
        int first = text.IndexOf('_');
        ReadOnlySpan<char> type = first < 0 ? text : text[..first];
        DbFileKind? kind = type switch
        {
            "counter" => DbFileKind.Counter,
            "gauge" => DbFileKind.Gauge,
            "histogram" => DbFileKind.Histogram,
            "summary" => DbFileKind.Summary,
            _ => null,
        };
        if (kind is null)
        {
            error = $"unknown metric type '{type}' (expected counter, gauge, histogram or summary)";
            return false;
        }

        if (kind != DbFileKind.Gauge)
        {
            if (first < 0)
            {
                error = "no identity in the name";
                return false;
            }

            name = new DbFileName(kind.Value, null, fileName[(first + 1)..^3]);
            return true;
        }

        return TryParseGauge(first < 0 ? [] : text[(first + 1)..], out name, out error);
    }

    /// <summary>Parses what follows <c>gauge_</c> in a file name: the mode, then the identity.</summary>
    private static bool TryParseGauge(ReadOnlySpan<char> rest, out DbFileName name, out string? error)
    {
        name = default;
        error = null;
        int second = rest.IndexOf('_');
        if (second < 0)
        {
            error = "gauge file name has no mode or identity (expected gauge_{mode}_{id}.db)";
            return false;
        }

        ReadOnlySpan<char> modeText = rest[..second];
        if (!GaugeModes.TryParse(modeText, out GaugeMode mode))
        {
            error = $"unknown gauge mode '{modeText}'";
            return false;
        }

        // The collector takes the third part minus its last three characters, so an identity
        // containing '_' is cut there; match it so the pid label agrees with Python's.
        ReadOnlySpan<char> third = rest[(second + 1)..];
        int end = third.IndexOf('_');
        third = end < 0 ? third : third[..end];
        string identity = third.Length >= 3 ? third[..^3].ToString() : string.Empty;
        name = new DbFileName(DbFileKind.Gauge, mode, identity);
        return true;
    }
}
