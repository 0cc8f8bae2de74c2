namespace Chorus.TestSupport;

/// <summary>
/// A multiprocess directory with the UTF-8 names prometheus_client 0.22 and later accept by default, its keys written byte
/// for byte as its <c>values.mmap_key</c> does (<c>json.dumps([family, sample, labels, help], sort_keys=True)</c>): 0.22 is
/// not installable here, the key format is the same as 0.16's.
/// </summary>
public static class Utf8NameDirectory
{
    /// <summary>
    /// Writes <c>my.requests_total{http.method="GET"}</c> 3 + 2 (two counter files), the histogram
    /// <c>http.server.duration{service.name="api"}</c> (sum 0.75, 2 observations ≤ 0.5, 1 above) and the <c>all</c>-mode
    /// gauges <c>température{room.name="küche"}</c> 21.5 and the classic <c>plain</c> 1, all of pid 7.
    /// </summary>
    /// <param name="dir">An empty directory.</param>
    public static void Write(TempDirectory dir)
    {
        new DbFileBuilder().Add("my.requests", "my.requests_total", 3.0, labels: ("http.method", "GET")).WriteTo(dir.File("counter_7.db"));
        new DbFileBuilder().Add("my.requests", "my.requests_total", 2.0, labels: ("http.method", "GET")).WriteTo(dir.File("counter_8.db"));
        new DbFileBuilder()
            .Add("http.server.duration", "http.server.duration_sum", 0.75, labels: ("service.name", "api"))
            .Add("http.server.duration", "http.server.duration_bucket", 2.0, labels: [("service.name", "api"), ("le", "0.5")])
            .Add("http.server.duration", "http.server.duration_bucket", 1.0, labels: [("service.name", "api"), ("le", "+Inf")])
            .WriteTo(dir.File("histogram_7.db"));
        new DbFileBuilder()
            .Add("température", "température", 21.5, labels: ("room.name", "küche"))
            .Add("plain", "plain", 1.0)
            .WriteTo(dir.File("gauge_all_7.db"));
    }
}
