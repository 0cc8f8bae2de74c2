namespace Chorus.AspNetCore;

/// <summary>Placeholder so the assembly has a namespace until the endpoint lands.</summary>
internal static class ChorusAspNetCoreMarker
{
}
