namespace Chorus;

/// <summary>One sample read from an in-process collector at collect time.</summary>
/// <param name="Name">Sample name (<c>x_total</c>, <c>x_bucket</c>, ...).</param>
/// <param name="LabelNames">Label names.</param>
/// <param name="LabelValues">Label values.</param>
/// <param name="Value">The value.</param>
internal readonly record struct CollectedSample(string Name, string[] LabelNames, string[] LabelValues, double Value);
