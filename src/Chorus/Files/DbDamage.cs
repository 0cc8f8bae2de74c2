namespace Chorus.Files;

/// <summary>Where and why reading a <c>.db</c> file stopped early. Entries before <see cref="Offset"/> are complete and usable.</summary>
/// <param name="Kind">The kind of damage.</param>
/// <param name="Offset">File offset at which the damage was found.</param>
/// <param name="Detail">A human-readable explanation.</param>
public readonly record struct DbDamage(DbDamageKind Kind, long Offset, string Detail)
{
    /// <summary>No damage.</summary>
    public static DbDamage None => default;

    /// <summary>True when something was wrong with the file.</summary>
    public bool IsDamaged => Kind != DbDamageKind.None;

    /// <inheritdoc />
    public override string ToString() => IsDamaged ? $"{Kind} at offset {Offset}: {Detail}" : "ok";
}
