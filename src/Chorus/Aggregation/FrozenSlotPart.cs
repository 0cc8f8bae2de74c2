namespace Chorus.Aggregation;

/// <summary>
/// What the frozen files contribute to one slot, reduced to the few contributions that decide a fold over them and any
/// live files' values in file order: folding these and the live values merged by file rank gives, bit for bit, what a
/// fold over every file gives, so a scrape with live writers does not visit the frozen files again.
/// </summary>
/// <remarks>
/// <para>A sum keeps values (<see cref="FrozenSumPart"/>); the other folds keep one or two contributions
/// (<see cref="FrozenPickedPart"/>). Most slots of a big host are of the second kind (an <c>all</c> gauge has one slot per
/// writer, each with one contribution), so that part holds no arrays.</para>
/// <para>A file frozen or thawed later is added or removed in place, at its rank (<see cref="Add"/>, <see cref="Remove"/>),
/// whenever the result is still a file-order fold; otherwise the part says so and the owner builds the family's parts
/// again.</para>
/// </remarks>
internal abstract class FrozenSlotPart
{
    /// <summary>How the part was reduced (the family's fold kind when it was built).</summary>
    public abstract FoldKind Kind { get; }

    /// <summary>How many frozen entries meet in this slot (kept or not); at 0 the slot has no frozen contribution.</summary>
    public int Contributions { get; protected set; }

    /// <summary>An empty part for a family folded as <paramref name="kind"/>.</summary>
    /// <param name="kind">The family's fold kind.</param>
    /// <param name="keepsEverySum">Sum: keep every value one by one (a live value once broke the exact run).</param>
    public static FrozenSlotPart For(FoldKind kind, bool keepsEverySum) =>
        kind == FoldKind.Sum ? new FrozenSumPart(keepsEverySum) : new FrozenPickedPart(kind);

    /// <summary>
    /// Adds a frozen contribution at its file's rank (in file order while a part is built, anywhere later). False when the
    /// part cannot take it and stay a file-order fold (the owner must build the family's parts again).
    /// </summary>
    public abstract bool Add(FileState file, double value, double stamp);

    /// <summary>
    /// Removes a thawed file's contribution (its entries in entry order, with the values they were added with). False when
    /// the part cannot give it back and stay a file-order fold (the owner must build the family's parts again).
    /// </summary>
    public abstract bool Remove(FileState file, double value);

    /// <summary>
    /// Before a live value from the file ranked <paramref name="rank"/> is folded: folds the frozen contributions ranked
    /// before it. <paramref name="numbering"/> changes whenever file ranks were renumbered.
    /// </summary>
    public abstract void Advance(SeriesSlot slot, int rank, double liveValue, int generation, int numbering);

    /// <summary>Folds the frozen contributions not folded yet; false when a live value broke the exact run (the result is not a file-order fold).</summary>
    public abstract bool Finish(SeriesSlot slot, int generation, int numbering);
}
