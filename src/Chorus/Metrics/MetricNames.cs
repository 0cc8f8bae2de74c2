namespace Chorus;

/// <summary>Builds and validates metric and label names as prometheus_client does.</summary>
internal static class MetricNames
{
    /// <summary>
    /// <c>{namespace}_{subsystem}_{name}</c>; a counter's trailing <c>_total</c> is dropped (its sample gets
    /// it back); <c>_{unit}</c> is appended unless already there.
    /// </summary>
    public static string BuildFamilyName(string metricType, string name, MetricConfiguration? configuration)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string full = string.Empty;
        if (!string.IsNullOrEmpty(configuration?.Namespace))
        {
            full += configuration.Namespace + "_";
        }

        if (!string.IsNullOrEmpty(configuration?.Subsystem))
        {
            full += configuration.Subsystem + "_";
        }

        full += name;
        if (metricType == "counter" && full.EndsWith("_total", StringComparison.Ordinal))
        {
            full = full[..^"_total".Length];
        }

        string? unit = configuration?.Unit;
        if (!string.IsNullOrEmpty(unit))
        {
            if (metricType is "info" or "stateset")
            {
                throw new ArgumentException($"An {metricType} metric cannot have a unit ('{full}').", nameof(configuration));
            }

            if (!IsValidLabelName(unit))
            {
                throw new ArgumentException($"Unit '{unit}' must be letters, digits and '_'.", nameof(configuration));
            }

            if (!full.EndsWith("_" + unit, StringComparison.Ordinal))
            {
                full += "_" + unit;
            }
        }

        if (!IsValidMetricName(full))
        {
            throw new ArgumentException($"Invalid metric name '{full}': use letters, digits, '_' and ':', not starting with a digit.", nameof(name));
        }

        return full;
    }

    /// <summary>Validates label names: syntax, duplicates, <c>__</c> prefix and the names the type reserves.</summary>
    public static string[] ValidateLabelNames(string family, IReadOnlyList<string>? names, IReadOnlyList<string> reserved)
    {
        string[] result = names is null ? [] : [.. names];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string label in result)
        {
            if (label is null || !IsValidLabelName(label))
            {
                throw new ArgumentException($"Invalid label name '{label}' on '{family}': use letters, digits and '_', not starting with a digit.", nameof(names));
            }

            if (label.StartsWith("__", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Label name '{label}' on '{family}' is reserved: names starting with '__' belong to Prometheus.", nameof(names));
            }

            if (reserved.Contains(label))
            {
                throw new ArgumentException($"Label name '{label}' is reserved on '{family}' ({string.Join(", ", reserved)}).", nameof(names));
            }

            if (!seen.Add(label))
            {
                throw new ArgumentException($"Label name '{label}' appears twice on '{family}'.", nameof(names));
            }
        }

        return result;
    }

    /// <summary><c>[a-zA-Z_:][a-zA-Z0-9_:]*</c></summary>
    public static bool IsValidMetricName(string name)
    {
        if (string.IsNullOrEmpty(name) || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>[a-zA-Z_][a-zA-Z0-9_]*</c></summary>
    public static bool IsValidLabelName(string name)
    {
        if (string.IsNullOrEmpty(name) || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
