namespace Chorus.AspNetCore.Server;

/// <summary>What the landing page says about the served directory.</summary>
/// <param name="Files">The <c>.db</c> files in it.</param>
/// <param name="LiveWriters">Writer identities (processes or slots) that are alive.</param>
/// <param name="UnknownWriters">Writer identities whose liveness cannot be seen from here (another PID namespace).</param>
public sealed record DirectoryStatus(int Files, int LiveWriters, int UnknownWriters);
