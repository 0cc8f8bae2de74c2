namespace Chorus.Compaction;

/// <summary>One writer identity found in a directory and what is known about its liveness.</summary>
/// <param name="Identity">The identity as it appears in file names (<c>1234</c>, a slot number, <c>archive8</c>).</param>
/// <param name="Kind">How the identity is judged.</param>
/// <param name="Liveness">Alive, dead or unknown.</param>
/// <param name="Reason">Why, in words (for reports).</param>
/// <param name="Holders">PIDs seen holding its files open or mapped.</param>
public sealed record IdentityStatus(string Identity, WriterKind Kind, Liveness Liveness, string Reason, IReadOnlyList<int> Holders);
