using System.Diagnostics;

namespace Chorus;

/// <summary>Observes the elapsed seconds into a histogram when disposed; a struct, so timing allocates nothing.</summary>
public readonly struct HistogramTimer : IDisposable, IEquatable<HistogramTimer>
{
    private readonly Histogram.Child? _histogram;
    private readonly long _start;

    internal HistogramTimer(Histogram.Child histogram, long start)
    {
        _histogram = histogram;
        _start = start;
    }

    /// <summary>The time since the timer started.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    /// <summary>Observes the elapsed seconds.</summary>
    public void Dispose() => _histogram?.Observe(Stopwatch.GetElapsedTime(_start).TotalSeconds);

    /// <inheritdoc />
    public bool Equals(HistogramTimer other) => ReferenceEquals(_histogram, other._histogram) && _start == other._start;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is HistogramTimer other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_histogram, _start);

    /// <summary>True when both time the same start on the same histogram.</summary>
    public static bool operator ==(HistogramTimer left, HistogramTimer right) => left.Equals(right);

    /// <summary>True when they differ.</summary>
    public static bool operator !=(HistogramTimer left, HistogramTimer right) => !left.Equals(right);
}
