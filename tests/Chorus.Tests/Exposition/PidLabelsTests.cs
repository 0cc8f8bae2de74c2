using System.Buffers;
using Chorus.Exposition;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Chorus.Tests.Exposition;

/// <summary>
/// A multiprocess gauge's series of one writer keeps its key's labels and its file's pid instead of a set of both: read,
/// compared and written, the two must be that set in every way, wherever the pid sorts among the names.
/// </summary>
public class PidLabelsTests
{
    private static readonly string[] Names = ["a", "handler", "method", "pie", "pi", "z", "_x"];

    [Property(MaxTest = 500)]
    public Property KeyLabelsAndPid_AreTheSetWithThePidAdded(byte[] picks, byte[] otherPicks, string pid)
    {
        pid ??= string.Empty;
        LabelSet labels = SetOf(picks);
        LabelSet other = SetOf(otherPicks).With(PidLabels.Name, pid.Length > 2 ? pid[..2] : "1");
        var withPid = new PidLabels(labels, pid);
        LabelSet expected = labels.With(PidLabels.Name, pid);

        byte[] written = new byte[withPid.MaxLength()];
        int length = withPid.Write(written);
        var expectedBytes = new ArrayBufferWriter<byte>();
        Span<byte> span = expectedBytes.GetSpan(LabelBytes.MaxLength(expected, EscapingScheme.Underscores));
        expectedBytes.Advance(LabelBytes.Write(expected, span, EscapingScheme.Underscores));

        bool same = PidLabels.Applies(labels) && withPid.ToLabelSet().Equals(expected) && withPid.Count == expected.Count
            && Enumerable.Range(0, expected.Count).All(i => withPid.GetName(i) == expected.GetName(i) && withPid.GetValue(i) == expected.GetValue(i))
            && Math.Sign(withPid.CompareTo(other)) == Math.Sign(expected.CompareTo(other))
            && Math.Sign(withPid.CompareTo(labels)) == Math.Sign(expected.CompareTo(labels))
            && withPid.CompareTo(expected) == 0
            && written.AsSpan(0, length).SequenceEqual(expectedBytes.WrittenSpan);
        return same.Label($"{expected} as {withPid.ToLabelSet()}");
    }

    [Fact]
    public void ASetWithAPidOrANameOutsideTheClassicSet_KeepsASetOfItsOwn()
    {
        // A pid added to a set that has one replaces its value; a set with a name outside the classic set is written from
        // a rendering cached per set.
        Assert.False(PidLabels.Applies(LabelSet.Create(["pid"], ["7"])));
        Assert.False(PidLabels.Applies(LabelSet.Create(["a.b"], ["x"])));
        Assert.True(PidLabels.Applies(LabelSet.Empty));
    }

    private static LabelSet SetOf(byte[]? picks) =>
        LabelSet.Create([.. (picks ?? []).Select(pick => KeyValuePair.Create(Names[pick % Names.Length], "v\"" + (pick / Names.Length)))]);
}
