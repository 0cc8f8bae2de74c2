namespace Chorus.Aggregation;

/// <summary>One frozen entry's value as a <see cref="FrozenSlotPart"/> keeps it; a default one (no file) is none.</summary>
internal readonly record struct FrozenContribution(FileState? File, double Value, double Stamp);
