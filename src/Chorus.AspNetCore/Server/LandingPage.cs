using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Chorus.AspNetCore.Server;

/// <summary>
/// The HTML page at <c>/</c>, as exporters have: name, version, links to the metrics path and <c>/healthz</c>, the
/// directory, its files and live writers. The directory figures are taken at most every
/// <see cref="StatusLifetime"/> (one survey at a time), so reloading the page in a loop costs no directory scans.
/// </summary>
internal sealed class LandingPage(string directory, string metricsPath, Func<DirectoryStatus>? status)
{
    public static readonly TimeSpan StatusLifetime = TimeSpan.FromSeconds(10);

    private static readonly string s_version =
        typeof(LandingPage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private readonly Lock _gate = new();
    private Task<string>? _statusHtml;
    private long _statusTakenAt;

    /// <summary>The version the page shows.</summary>
    public static string Version => s_version;

    public async Task HandleAsync(HttpContext context)
    {
        string statusHtml = await StatusHtmlAsync().ConfigureAwait(false);
        string metrics = WebUtility.HtmlEncode(metricsPath);
        string page = $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Chorus exporter</title>
            <style>body{font-family:sans-serif;max-width:50em;margin:2em auto}td{padding:0 1em 0 0}</style></head>
            <body>
            <h1>Chorus exporter</h1>
            <p>Serves the merged Prometheus multiprocess directory of many worker processes as one scrape.</p>
            <ul>
            <li><a href="{{metrics}}">Metrics</a> ({{metrics}})</li>
            <li><a href="/healthz">Health</a> (/healthz)</li>
            </ul>
            <table>
            <tr><td>Version</td><td>{{WebUtility.HtmlEncode(s_version)}}</td></tr>
            <tr><td>Directory</td><td><code>{{WebUtility.HtmlEncode(directory)}}</code></td></tr>
            {{statusHtml}}
            </table>
            </body>
            </html>

            """;
        byte[] body = Encoding.UTF8.GetBytes(page);
        HttpResponse response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private Task<string> StatusHtmlAsync()
    {
        lock (_gate)
        {
            if (_statusHtml is null || (_statusHtml.IsCompleted && Stopwatch.GetElapsedTime(_statusTakenAt) > StatusLifetime))
            {
                _statusTakenAt = Stopwatch.GetTimestamp();
                _statusHtml = Task.Run(RenderStatus);
            }

            return _statusHtml;
        }
    }

    private string RenderStatus()
    {
        try
        {
            if (status is null)
            {
                int files = Directory.EnumerateFiles(directory, "*.db").Count();
                return Row("Files", files.ToString(CultureInfo.InvariantCulture));
            }

            DirectoryStatus now = status();
            string writers = now.LiveWriters.ToString(CultureInfo.InvariantCulture)
                + (now.UnknownWriters > 0 ? $" ({now.UnknownWriters.ToString(CultureInfo.InvariantCulture)} more cannot be seen from here)" : string.Empty);
            return Row("Files", now.Files.ToString(CultureInfo.InvariantCulture)) + Row("Live writers", writers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Row("Files", "unavailable: " + e.Message);
        }
    }

    private static string Row(string name, string value) => $"<tr><td>{name}</td><td>{WebUtility.HtmlEncode(value)}</td></tr>\n";
}
