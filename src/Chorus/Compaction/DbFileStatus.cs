using Chorus.Files;

namespace Chorus.Compaction;

/// <summary>One <c>.db</c> file of a directory as a survey saw it.</summary>
/// <param name="FileName">The file name.</param>
/// <param name="Name">The parsed name (type, gauge mode, identity).</param>
/// <param name="Length">Size on disk in bytes.</param>
/// <param name="Used">The header's <c>used</c>.</param>
/// <param name="Layout">The detected value layout, or null when the file has no entries.</param>
/// <param name="Entries">Number of complete entries.</param>
/// <param name="Damage">Damage found while reading, if any.</param>
/// <param name="LastWriteUtc">Last modification time.</param>
public sealed record DbFileStatus(string FileName, DbFileName Name, long Length, int Used, ValueLayout? Layout, int Entries, DbDamage Damage, DateTime LastWriteUtc);
