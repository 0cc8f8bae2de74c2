namespace Chorus.AspNetCore.Server;

/// <summary>
/// Work <c>chorus serve</c> runs on a fixed period beside the endpoint (e.g. compaction). Runs never overlap; a run
/// that throws is logged and the next one still happens; shutdown cancels the token and waits for the run in flight.
/// </summary>
/// <param name="Name">How logs name the job.</param>
/// <param name="Interval">The time between the end of one run and the start of the next.</param>
/// <param name="RunAsync">One run; returns a one-line summary to log, or null when there is nothing worth saying.</param>
public sealed record ChorusBackgroundJob(string Name, TimeSpan Interval, Func<CancellationToken, Task<string?>> RunAsync);
