namespace Chorus;

/// <summary>Decrements a gauge when disposed; returned by <see cref="Gauge.Child.TrackInProgress"/>. A struct, so tracking allocates nothing.</summary>
public readonly struct InProgressTracker : IDisposable, IEquatable<InProgressTracker>
{
    private readonly Gauge.Child? _gauge;

    internal InProgressTracker(Gauge.Child gauge) => _gauge = gauge;

    /// <summary>Decrements the gauge once.</summary>
    public void Dispose() => _gauge?.Dec();

    /// <inheritdoc />
    public bool Equals(InProgressTracker other) => ReferenceEquals(_gauge, other._gauge);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is InProgressTracker other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _gauge?.GetHashCode() ?? 0;

    /// <summary>True when both track the same gauge.</summary>
    public static bool operator ==(InProgressTracker left, InProgressTracker right) => left.Equals(right);

    /// <summary>True when they track different gauges.</summary>
    public static bool operator !=(InProgressTracker left, InProgressTracker right) => !left.Equals(right);
}
