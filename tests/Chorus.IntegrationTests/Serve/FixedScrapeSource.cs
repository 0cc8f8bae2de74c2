using System.Buffers;
using System.Text;
using Chorus.Exposition;

namespace Chorus.IntegrationTests.Serve;

/// <summary>A source with fixed content per format, to test the HTTP layer on its own.</summary>
internal sealed class FixedScrapeSource : IScrapeSource
{
    public const string Text = "# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\napp_requests_total{path=\"/\"} 42\n";

    public const string OpenMetricsText = "# TYPE app_requests counter\n# HELP app_requests Requests.\napp_requests_total{path=\"/\"} 42\n# EOF\n";

    private readonly byte[] _text;
    private readonly byte[] _openMetrics;
    private int _collections;

    public FixedScrapeSource(string text = Text, string openMetrics = OpenMetricsText)
    {
        _text = Encoding.UTF8.GetBytes(text);
        _openMetrics = Encoding.UTF8.GetBytes(openMetrics);
    }

    public int Collections => Volatile.Read(ref _collections);

    public void Collect(IBufferWriter<byte> output, ExpositionFormat format)
    {
        Interlocked.Increment(ref _collections);
        output.Write(format == ExpositionFormat.OpenMetrics ? _openMetrics : _text);
    }
}
