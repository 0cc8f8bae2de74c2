namespace Chorus.Aggregation;

/// <summary>
/// A family's sample names, numbered in the order first seen: a slot keeps its name's number
/// (<see cref="SeriesSlot.NameIndex"/>), not a reference to the string, 8 bytes of every slot.
/// </summary>
internal sealed class SampleNames
{
    // Names looked up one by one up to this many (a family has a few: the name, _total, _sum, _count, _bucket, _created),
    // by dictionary past it (a hostile file may name many).
    private const int Searched = 8;

    private readonly List<string> _names = [];
    private Dictionary<string, int>? _numbers;

    /// <summary>The name numbered <paramref name="number"/>.</summary>
    public string this[int number] => _names[number];

    /// <summary>The number of <paramref name="name"/>, given on first use.</summary>
    public int NumberOf(string name)
    {
        if (_numbers is { } numbers)
        {
            if (!numbers.TryGetValue(name, out int known))
            {
                known = _names.Count;
                _names.Add(name);
                numbers.Add(name, known);
            }

            return known;
        }

        for (int i = 0; i < _names.Count; i++)
        {
            if (string.Equals(_names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        _names.Add(name);
        if (_names.Count > Searched)
        {
            _numbers = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < _names.Count; i++)
            {
                _numbers.Add(_names[i], i);
            }
        }

        return _names.Count - 1;
    }
}
