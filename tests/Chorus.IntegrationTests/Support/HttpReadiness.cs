using System.Diagnostics;

namespace Chorus.IntegrationTests.Support;

/// <summary>Waits (bounded) until a server a test started answers an HTTP GET with a success status.</summary>
internal static class HttpReadiness
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Polls <paramref name="url"/> every 100 ms until it answers 2xx; fails as soon as <paramref name="server"/>
    /// exits, or after <paramref name="timeout"/>, with <paramref name="describeFailure"/>'s text.
    /// </summary>
    public static async Task WaitUntilServingAsync(Uri url, ChildProcess server, TimeSpan timeout, Func<string>? describeFailure = null)
    {
        using var probe = new HttpClient { Timeout = s_probeTimeout };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using HttpResponseMessage response = await probe.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (server.HasExited || waited.Elapsed > timeout)
            {
                string state = server.HasExited ? $"exited {server.ExitCode}" : $"not serving after {timeout.TotalSeconds:0.#} s";
                throw new InvalidOperationException($"{url} did not come up ({state}). {describeFailure?.Invoke() ?? server.StderrSoFar}");
            }

            await Task.Delay(s_pollInterval);
        }
    }
}
