namespace Chorus.Aggregation;

/// <summary>Why a file's data is missing from a collection, in whole or in part.</summary>
public enum FileProblemKind
{
    /// <summary>The name is not <c>{counter|histogram|summary}_{id}.db</c> or <c>gauge_{mode}_{id}.db</c> with a known mode; skipped.</summary>
    UnrecognizedName,

    /// <summary>The file disappeared between listing and reading (for example removed by <c>mark_process_dead</c>); skipped.</summary>
    Vanished,

    /// <summary>The file could not be opened or read (permissions, I/O error); skipped.</summary>
    Unreadable,

    /// <summary>The file is damaged; its complete entries before the damage were used.</summary>
    Damaged,
}
