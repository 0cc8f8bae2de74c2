using Chorus.Files;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// The cold half of <see cref="FileLoader"/>: files a reader has never seen, prepared ahead by <see cref="ColdReadAhead"/>
/// (read and entries walked on either thread), then resolved here in file order.
/// </summary>
internal sealed partial class FileLoader
{
    // Per kind: the last file parsed from walked entries, and the reference those entries matched (its entries are the
    // reference's). Valid while that file is still the kind's model (EntryParsing.LastParsed), within one cold pass.
    private readonly (FileState File, EntryReference Reference)?[] _coldModels = new (FileState, EntryReference)?[4];

    /// <summary>As <see cref="FileBytes.Load(FileState, SafeFileHandle, CollectionPass, out long, bool)"/>, from a read done ahead.</summary>
    private FileProblem? LoadRead(FileState file, ColdReadSlot slot, CollectionPass pass)
    {
        switch (slot.Error)
        {
            case null:
                break;
            case FileNotFoundException or DirectoryNotFoundException:
                file.Reset();
                return new FileProblem(file.FileName, FileProblemKind.Vanished, "the file disappeared between listing and reading", DbDamage.None, 0);
            case UnauthorizedAccessException or IOException:
                file.Reset();
                return new FileProblem(file.FileName, FileProblemKind.Unreadable, slot.Error is UnauthorizedAccessException ? "permission denied" : slot.Error.Message, DbDamage.None, 0);
            default:
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(slot.Error);
                break;
        }

        if (!slot.Regular)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Unreadable, "not a regular file (a FIFO, socket or device)", DbDamage.None, 0);
        }

        if (slot.Identity != file.Identity)
        {
            file.Reset();
            file.Identity = slot.Identity;
        }

        if (slot.Read < DbFormat.HeaderSize)
        {
            file.Reset();
            return EntryParsing.Damaged(file, new DbDamage(DbDamageKind.ShorterThanHeader, 0, $"file is {slot.Read} bytes, shorter than the 8-byte header"));
        }

        pass.CountRead(slot.Read);
        return _entries.Process(file, slot.Buffer.AsSpan(0, slot.Read), DbFormat.ReadUsed(slot.Buffer), pass, slot.Entries);
    }

    /// <summary>As <see cref="EntryParsing.ParseNewEntries"/> for a file never parsed before, from entries another thread walked.</summary>
    /// <param name="file">The file, never parsed before.</param>
    /// <param name="data">Its bytes from offset 0.</param>
    /// <param name="walked">Its entries, walked over <paramref name="data"/>.</param>
    /// <param name="pass">The pass, which counts the entries parsed.</param>
    /// <param name="valuesRead">True when the file's values were taken from <paramref name="walked"/> (no copy needed).</param>
    private DbDamage ParseWalkedEntries(FileState file, ReadOnlySpan<byte> data, WalkedEntries walked, CollectionPass pass, out bool valuesRead)
    {
        valuesRead = false;
        if (!walked.Walked)
        {
            return DbDamage.None;
        }

        file.Layout = walked.Layout;
        if (file.Layout is null)
        {
            return new DbDamage(DbDamageKind.UnknownLayout, DbFormat.HeaderSize, "the first entry fits neither the 8-byte nor the 16-byte layout");
        }

        DbFileKind kind = file.Name.Kind;
        FileState? model = _entries.LastParsed(kind);
        ReadOnlySpan<int> offsets = walked.Offsets;
        if (SameReferenceAs(model, kind, walked) || SameEntriesAs(model, file, data, walked))
        {
            valuesRead = file.ShareEntriesOf(model!, walked.Values);
            file.ParsedUpTo = walked.End;
            pass.EntriesParsed += offsets.Length;
            _entries.SetLastParsed(file);
            _coldModels[(int)kind] = walked.Reference is { } shared ? (file, shared) : null;
            return walked.Damage;
        }

        // Exactly: most files never grow, and small gauge files are half of a typical directory.
        file.EnsureCapacity(walked.Count, exact: true);
        if (ResolveEach(file, model, data, walked, pass) is { IsDamaged: true } invalid)
        {
            return invalid;
        }

        file.ParsedUpTo = walked.End;
        pass.EntriesParsed += offsets.Length;
        _entries.SetLastParsed(file);
        _coldModels[(int)kind] = walked.Reference is { } reference ? (file, reference) : null;
        return walked.Damage;
    }

    /// <summary>Resolves each walked entry's key and adds its target; the damage of the first key that does not resolve.</summary>
    private DbDamage ResolveEach(FileState file, FileState? model, ReadOnlySpan<byte> data, WalkedEntries walked, CollectionPass pass)
    {
        ReadOnlySpan<int> offsets = walked.Offsets;
        ReadOnlySpan<int> keyLengths = walked.KeyLengths;
        ReadOnlySpan<int> valueOffsets = walked.ValueOffsets;
        for (int i = 0; i < offsets.Length; i++)
        {
            if (!_entries.TryResolve(file, model, data.Slice(offsets[i] + 4, keyLengths[i]), out ParsedKey? parsed, out string? error))
            {
                // Entries are contiguous: this entry starts where the last parsed one ended.
                file.ParsedUpTo = offsets[i];
                pass.EntriesParsed += i;
                return new DbDamage(DbDamageKind.InvalidKey, offsets[i], error ?? "invalid key");
            }

            file.Add(parsed!.Target, valueOffsets[i]);
        }

        return DbDamage.None;
    }

    /// <summary>
    /// True when <paramref name="walked"/> and <paramref name="model"/> both match one <see cref="EntryReference"/>: then
    /// they hold the same entries, which the thread that read the file has compared already.
    /// </summary>
    private bool SameReferenceAs(FileState? model, DbFileKind kind, WalkedEntries walked) =>
        model is not null && walked.Reference is { } reference && _coldModels[(int)kind] is { } known
        && ReferenceEquals(known.File, model) && ReferenceEquals(known.Reference, reference) && model.Count == walked.Count && model.Layout == walked.Layout;

    /// <summary>True when <paramref name="walked"/> holds exactly <paramref name="model"/>'s entries: same layout, keys and offsets.</summary>
    private static bool SameEntriesAs(FileState? model, FileState file, ReadOnlySpan<byte> data, WalkedEntries walked)
    {
        if (model is null || model == file || model.Layout != walked.Layout || model.Count != walked.Count || walked.Count == 0
            || !walked.ValueOffsets.SequenceEqual(model.ValueOffsets.AsSpan(0, model.Count)))
        {
            return false;
        }

        ReadOnlySpan<int> offsets = walked.Offsets;
        ReadOnlySpan<int> keyLengths = walked.KeyLengths;
        EntryTarget[] targets = model.Targets;
        for (int i = 0; i < offsets.Length; i++)
        {
            if (!data.Slice(offsets[i] + 4, keyLengths[i]).SequenceEqual(targets[i].Key.KeyBytes))
            {
                return false;
            }
        }

        return true;
    }
}
