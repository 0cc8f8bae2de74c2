namespace Chorus.IntegrationTests.Support;

/// <summary>
/// The trait of a test class that never starts the <c>chorus</c> tool (<see cref="ChorusCli"/>,
/// <see cref="ChorusServeProcess"/>): scripts/test.sh's second pass, against the native <c>chorus</c>
/// (<c>CHORUS_CLI=native</c>), leaves it out, since it would run the same code again. <c>StartsNoChorusTests</c> checks
/// that no class carrying it uses either.
/// </summary>
internal static class StartsNoChorus
{
    /// <summary>The trait's name.</summary>
    public const string Name = "chorus";

    /// <summary>The trait's value; the native pass filters with <c>chorus!=none</c>.</summary>
    public const string Value = "none";
}
