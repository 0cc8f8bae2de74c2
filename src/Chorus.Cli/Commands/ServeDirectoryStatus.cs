using Chorus.AspNetCore.Server;
using Chorus.Compaction;

namespace Chorus.Cli.Commands;

/// <summary>The landing page's directory figures, from the same survey <c>chorus doctor</c> takes.</summary>
internal static class ServeDirectoryStatus
{
    public static DirectoryStatus Survey(string directory)
    {
        DirectorySurvey survey = DirectorySurvey.Take(directory);
        int Count(Liveness liveness) => survey.Identities.Values.Count(i => i.Liveness == liveness && i.Kind != WriterKind.Archive);
        return new DirectoryStatus(survey.Files.Count, Count(Liveness.Alive), Count(Liveness.Unknown));
    }
}
