namespace Chorus.Aggregation;

/// <summary>Whether a kept file without a change map looks for one again (<see cref="KeptFile.ChangeMap"/>).</summary>
internal enum ChangeMapLookup
{
    /// <summary>Nothing is known of the sidecars created since the last collection: look again every few seconds.</summary>
    Periodic,

    /// <summary>The directory watch (or an unchanged directory) shows this file's sidecar was not created: look again only now and then.</summary>
    Skip,

    /// <summary>The directory watch saw this file's sidecar created: look now.</summary>
    Now,
}
