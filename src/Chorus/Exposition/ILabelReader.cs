namespace Chorus.Exposition;

/// <summary>Labels read by position in sorted order, whatever holds them (a set, a place, a key's labels and a pid).</summary>
internal interface ILabelReader
{
    /// <summary>Number of labels.</summary>
    int Count { get; }

    /// <summary>The name at <paramref name="index"/> (sorted order).</summary>
    string GetName(int index);

    /// <summary>The value at <paramref name="index"/> (sorted order).</summary>
    string GetValue(int index);
}
