namespace Chorus.Aggregation;

/// <summary>
/// The entries of one file whose values a collection's refresh found changed, each with the value it had before: what a
/// merge per changed slot needs (<see cref="ChangedSlots"/>: a slot whose contributions add up exactly takes the new value
/// minus the old one). Written by the refresh of its own file only, so refresh threads never share one.
/// </summary>
internal sealed class ChangedValues
{
    private int[] _entries = new int[16];
    private double[] _old = new double[16];
    private double[] _new = new double[16];

    /// <summary>The collection whose changes these are (a list from an earlier one is started afresh).</summary>
    public int Collection { get; private set; }

    /// <summary>How many changed entries are listed.</summary>
    public int Count { get; private set; }

    /// <summary>The changed entries' indices, in the order noted (ascending within one copy of the values).</summary>
    public ReadOnlySpan<int> Entries => _entries.AsSpan(0, Count);

    /// <summary>The value each entry had before the collection changed it (the one the last merge folded).</summary>
    public ReadOnlySpan<double> OldValues => _old.AsSpan(0, Count);

    /// <summary>The value each entry was changed to (the file's current one unless <see cref="Repeated"/>).</summary>
    public ReadOnlySpan<double> NewValues => _new.AsSpan(0, Count);

    /// <summary>True when an entry changed again in the same collection: its new value is the file's, not <see cref="NewValues"/>'s.</summary>
    public bool Repeated { get; set; }

    /// <summary>Empties the list for <paramref name="collection"/>.</summary>
    public void Restart(int collection)
    {
        Collection = collection;
        Count = 0;
        Repeated = false;
    }

    /// <summary>Notes that entry <paramref name="entry"/> changed from <paramref name="old"/> to <paramref name="value"/>.</summary>
    public void Add(int entry, double old, double value)
    {
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, Count * 2);
            Array.Resize(ref _old, Count * 2);
            Array.Resize(ref _new, Count * 2);
        }

        _entries[Count] = entry;
        _old[Count] = old;
        _new[Count] = value;
        Count++;
    }
}
