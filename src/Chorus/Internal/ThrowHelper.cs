using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Chorus.Internal;

/// <summary>Throw sites kept out of hot methods so those stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void NegativeOrNonFinite(string metric, double value) =>
        throw new ArgumentOutOfRangeException(nameof(value), value, string.Create(CultureInfo.InvariantCulture, $"'{metric}' only accepts finite, non-negative increments; got {value}."));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void NonFiniteObservation(string metric, double value) =>
        throw new ArgumentOutOfRangeException(nameof(value), value, string.Create(CultureInfo.InvariantCulture, $"'{metric}' only accepts finite observations; got {value}."));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void IncDecInMostRecentMode(string metric) =>
        throw new InvalidOperationException($"Inc and Dec must not be used with the mostrecent modes ('{metric}'): use Set.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void LabelledMetricUsedWithoutLabels(string metric) =>
        throw new InvalidOperationException($"'{metric}' has labels: call WithLabels(...) first.");
}
