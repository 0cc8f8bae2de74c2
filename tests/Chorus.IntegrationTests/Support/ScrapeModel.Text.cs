
namespace Chorus.IntegrationTests.Support;

internal sealed partial class ScrapeModel
{
    /// <summary>
    /// Parses Prometheus text 0.0.4 or OpenMetrics text with the shared strict test parser (which throws,
    /// failing the test, on anything malformed) and reduces it to the comparable model.
    /// </summary>
    public static ScrapeModel FromText(string text)
    {
        var model = new ScrapeModel();
        foreach (ParsedFamily family in ExpositionParser.Parse(text))
        {
            if (family.Type is not null || family.Help is not null)
            {
                if (model.Families.ContainsKey(family.Name))
                {
                    model.Duplicates.Add($"# family {family.Name} (its HELP/TYPE appear twice)");
                }

                model.Families[family.Name] = (family.Type, family.Help);
            }

            foreach (ParsedSample sample in family.Samples)
            {
                model.AddSample(sample.Name, sample.Labels, sample.Value);
            }
        }

        return model;
    }
}
