namespace Chorus.IntegrationTests.Article;

/// <summary>
/// The tests that run a uWSGI or gunicorn master with 4 workers take turns: several at once on 2 shared cores
/// starve each other (and the latency they measure) for no extra coverage.
/// </summary>
[CollectionDefinition(Collection)]
public sealed class ArticleServers
{
    public const string Collection = "Article servers";
}
