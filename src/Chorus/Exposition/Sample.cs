namespace Chorus.Exposition;

/// <summary>One line of an exposition: a full sample name, its labels and its value.</summary>
/// <param name="Name">The full sample name (for example <c>requests_total</c> or <c>latency_bucket</c>).</param>
/// <param name="Labels">The labels, sorted by name.</param>
/// <param name="Value">The value.</param>
public readonly record struct Sample(string Name, LabelSet Labels, double Value);
