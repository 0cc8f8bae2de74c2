
namespace Chorus.IntegrationTests.Article;

/// <summary>The samples of a Prometheus text exposition (parsed by the shared test parser), summed by name and labels.</summary>
internal sealed class ExpositionText(string text)
{
    private readonly List<ParsedSample> _samples = ExpositionParser.Parse(text).SelectMany(f => f.Samples).ToList();

    /// <summary>Whether a sample named <paramref name="name"/> has all of <paramref name="labels"/>.</summary>
    public bool Contains(string name, params (string Key, string Value)[] labels) => Matching(name, labels).Any();

    /// <summary>
    /// Sum of every sample named <paramref name="name"/> whose labels include all of <paramref name="labels"/>.
    /// Throws when there is none: "back to 0" must not pass because the family vanished.
    /// </summary>
    public double Sum(string name, params (string Key, string Value)[] labels)
    {
        var matching = Matching(name, labels).ToList();
        return matching.Count > 0
            ? matching.Sum(s => s.Value)
            : throw new InvalidDataException($"No sample {name} with labels {string.Join(",", labels)} in the exposition.");
    }

    /// <summary>The values of every sample named <paramref name="name"/> with all of <paramref name="labels"/> (empty when there is none).</summary>
    public IReadOnlyList<double> Values(string name, params (string Key, string Value)[] labels) => [.. Matching(name, labels).Select(s => s.Value)];

    private IEnumerable<ParsedSample> Matching(string name, (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out string? v) && v == l.Value));
}
