
namespace Chorus.IntegrationTests.Article;

/// <summary>The samples of a Prometheus text exposition (parsed by the shared test parser), summed by name and labels.</summary>
internal sealed class ExpositionText(string text)
{
    private readonly List<ParsedSample> _samples = ExpositionParser.Parse(text).SelectMany(f => f.Samples).ToList();

    /// <summary>Sum of every sample named <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out string? v) && v == l.Value))
            .Sum(s => s.Value);
}
