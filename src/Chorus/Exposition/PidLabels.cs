using System.Text;

namespace Chorus.Exposition;

/// <summary>
/// A label set with a <c>pid</c> label added, read and written as <c>labels.With("pid", pid)</c> would be without making
/// that set: a multiprocess gauge in a mode that keeps each process's series has one series per key and writer (256,000
/// on a GitLab-sized host), and a label set of its own for each was 12 MB of that host's heap. The series keeps its key's
/// labels, shared by every writer, and its file's pid (<see cref="MetricFamily.SamplePids"/>).
/// </summary>
/// <remarks>Only for sets that <see cref="Applies"/> to: no <c>pid</c> label of their own, and only classic names.</remarks>
internal readonly struct PidLabels : ILabelReader
{
    /// <summary>The label added.</summary>
    public const string Name = "pid";

    private readonly LabelSet _labels;
    private readonly string _pid;

    // Where the pid goes among the labels' names (sorted, ordinal).
    private readonly int _at;

    /// <param name="labels">The labels without <c>pid</c> (<see cref="Applies"/>).</param>
    /// <param name="pid">The pid's value.</param>
    public PidLabels(LabelSet labels, string pid)
    {
        _labels = labels;
        _pid = pid;
        _at = labels.PidInsertionPoint;
    }

    /// <summary>
    /// Whether a set may stand for itself with a pid added: it has no <c>pid</c> label (one added would replace its value,
    /// not sit beside it) and its names are all classic (others are written from a rendering cached per set).
    /// </summary>
    public static bool Applies(LabelSet labels) => labels.PidInsertionPoint >= 0 && labels.HasClassicNames;

    /// <summary>Number of labels, the pid included.</summary>
    public int Count => _labels.Count + 1;

    /// <summary>The name at <paramref name="index"/> (sorted order).</summary>
    public string GetName(int index) => index < _at ? _labels.GetName(index) : index == _at ? Name : _labels.GetName(index - 1);

    /// <summary>The value at <paramref name="index"/> (sorted order).</summary>
    public string GetValue(int index) => index < _at ? _labels.GetValue(index) : index == _at ? _pid : _labels.GetValue(index - 1);

    /// <summary>The label set these labels are.</summary>
    public LabelSet ToLabelSet() => _labels.With(Name, _pid);

    /// <summary>Orders as <see cref="LabelSet.CompareTo"/> orders the set these labels are against <paramref name="other"/>.</summary>
    public int CompareTo(LabelSet other)
    {
        int n = Math.Min(Count, other.Count);
        for (int i = 0; i < n; i++)
        {
            int c = string.CompareOrdinal(GetName(i), other.GetName(i));
            if (c != 0)
            {
                return c;
            }

            c = string.CompareOrdinal(GetValue(i), other.GetValue(i));
            if (c != 0)
            {
                return c;
            }
        }

        return Count.CompareTo(other.Count);
    }

    /// <summary>At least the length of the rendering <see cref="Write"/> makes.</summary>
    public int MaxLength() => LabelBytes.MaxLength(_labels, EscapingScheme.Underscores) + Name.Length + 4 + Encoding.UTF8.GetMaxByteCount(_pid.Length);

    /// <summary>Writes the labels as <see cref="LabelBytes.Write"/> writes the set they are; returns the length.</summary>
    public int Write(Span<byte> output)
    {
        int n = 0;
        for (int i = 0; i < Count; i++)
        {
            if (i > 0)
            {
                output[n++] = (byte)',';
            }

            n += LabelBytes.WritePair(GetName(i), GetValue(i), output[n..]);
        }

        return n;
    }
}
