namespace Chorus.Meters;

/// <summary>
/// What one enabled instrument records into: its family and how a measurement changes the value. It is the
/// listener's per-instrument state, so the measurement callback reaches it without a lookup.
/// </summary>
internal sealed class InstrumentBinding(MeterFamily family, MeasurementEffect effect)
{
    public MeterFamily Family { get; } = family;

    /// <summary>Records one measurement. Never throws: an exception here would surface in the instrumented code.</summary>
    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // NaN and infinities would poison a sum for good (and a gauge's NaN means nothing to a dashboard).
        if (!double.IsFinite(value))
        {
            return;
        }

        MeterSeries? series = Family.Find(tags);
        if (series is null)
        {
            return;
        }

        switch (effect)
        {
            case MeasurementEffect.Increment:
                if (value >= 0)
                {
                    series.Add(value);
                }

                break;
            case MeasurementEffect.Add:
                series.Add(value);
                break;
            case MeasurementEffect.Set:
                series.Set(value);
                break;
            case MeasurementEffect.Observe:
                series.Observe(value);
                break;
            default:
                series.AddObservedCumulative(this, value);
                break;
        }
    }
}
