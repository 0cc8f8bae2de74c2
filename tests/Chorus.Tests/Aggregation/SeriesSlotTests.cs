using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A slot keeps its frozen part, its contributions and a mostrecent timestamp in one field (most slots need none of them):
/// each must read back as set, whatever the others hold, and a new collection must start the timestamp and the
/// contributions afresh while keeping the frozen part.
/// </summary>
public sealed class SeriesSlotTests
{
    private static SeriesSlot NewSlot() => new(LabelSet.Empty, 0);

    [Fact]
    public void EachPart_ReadsBackAsSet_WhateverTheOthersHold()
    {
        SeriesSlot slot = NewSlot();
        Assert.Null(slot.Frozen);
        Assert.Null(slot.Contributions);
        Assert.Equal(0.0, slot.Timestamp);

        FrozenSlotPart frozen = FrozenSlotPart.For(FoldKind.Sum, keepsEverySum: false);
        var contributions = new SlotContributions();
        slot.Frozen = frozen;
        slot.Contributions = contributions;
        slot.Timestamp = 12.5;
        Assert.Same(frozen, slot.Frozen);
        Assert.Same(contributions, slot.Contributions);
        Assert.Equal(12.5, slot.Timestamp);

        slot.Frozen = null;
        Assert.Null(slot.Frozen);
        Assert.Same(contributions, slot.Contributions);
        Assert.Equal(12.5, slot.Timestamp);

        slot.Contributions = null;
        Assert.Null(slot.Contributions);
        Assert.Equal(12.5, slot.Timestamp);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void SettingOnePart_KeepsTheOther(bool frozenFirst, bool clearFirst)
    {
        SeriesSlot slot = NewSlot();
        FrozenSlotPart frozen = FrozenSlotPart.For(FoldKind.Max, keepsEverySum: false);
        var contributions = new SlotContributions();
        if (frozenFirst)
        {
            slot.Frozen = frozen;
            slot.Contributions = contributions;
        }
        else
        {
            slot.Contributions = contributions;
            slot.Frozen = frozen;
        }

        Assert.Same(frozen, slot.Frozen);
        Assert.Same(contributions, slot.Contributions);
        if (clearFirst)
        {
            slot.Contributions = null;
            Assert.Same(frozen, slot.Frozen);
            Assert.Null(slot.Contributions);
        }
        else
        {
            slot.Frozen = null;
            Assert.Same(contributions, slot.Contributions);
            Assert.Null(slot.Frozen);
        }
    }

    [Fact]
    public void AClearedPart_AloneInTheSlot_LeavesTheOtherUnset()
    {
        SeriesSlot slot = NewSlot();
        slot.Contributions = new SlotContributions();
        slot.Frozen = null;
        Assert.NotNull(slot.Contributions);
        slot.Contributions = null;
        slot.Frozen = FrozenSlotPart.For(FoldKind.Sum, keepsEverySum: true);
        slot.Contributions = null;
        Assert.NotNull(slot.Frozen);
        Assert.Null(slot.Contributions);
    }

    [Fact]
    public void ANewCollection_StartsTheTimestampAndContributionsAfresh_AndKeepsTheFrozenPart()
    {
        SeriesSlot slot = NewSlot();
        FrozenSlotPart frozen = FrozenSlotPart.For(FoldKind.MostRecent, keepsEverySum: false);
        var contributions = new SlotContributions { Exact = ExactSum.Empty.With(3.0) };
        slot.Frozen = frozen;
        slot.Contributions = contributions;
        slot.Timestamp = 7.0;
        slot.Value = 3.0;
        slot.HasValue = true;

        slot.Touch(generation: 2);

        Assert.Equal(0.0, slot.Timestamp);
        Assert.Equal(0.0, slot.Value);
        Assert.False(slot.HasValue);
        Assert.Same(frozen, slot.Frozen);
        Assert.Same(contributions, slot.Contributions);
        Assert.Equal(ExactSum.Empty, contributions.Exact);

        slot.Timestamp = 9.0;
        slot.Restart();
        Assert.Equal(0.0, slot.Timestamp);
    }

    [Fact]
    public void APidSlot_KeepsItsPid_WhateverItsOtherPartsHold_AndGivesItUpInAGroup()
    {
        LabelSet keyLabels = LabelSet.Create(["kind", "zone"], ["memory", "a"]);
        LabelSet expected = keyLabels.With("pid", "4711");
        var slot = new SeriesSlot(keyLabels, "4711", 0);
        Assert.Equal(expected, slot.Labels);
        Assert.Equal(3, slot.LabelCount);
        Assert.Equal(["kind", "pid", "zone"], Enumerable.Range(0, 3).Select(slot.LabelName));
        Assert.Equal(["memory", "4711", "a"], Enumerable.Range(0, 3).Select(slot.LabelValue));
        Assert.Equal(0, slot.CompareLabels(expected));
        Assert.Same(keyLabels, slot.EmittedLabels(out string? pid));
        Assert.Equal("4711", pid);

        FrozenSlotPart frozen = FrozenSlotPart.For(FoldKind.Sum, keepsEverySum: false);
        slot.Frozen = frozen;
        slot.Contributions = new SlotContributions();
        slot.Timestamp = 3.0;
        slot.Frozen = null;
        slot.Contributions = null;
        Assert.Equal("4711", slot.Pid);
        Assert.Equal(expected, slot.Labels);

        slot.Touch(generation: 2);
        Assert.Equal("4711", slot.Pid);

        var group = new LabelGroup(slot.Labels);
        slot.Join(group);
        Assert.Null(slot.Pid);
        Assert.Same(group.Labels, slot.EmittedLabels(out pid));
        Assert.Null(pid);
    }

    [Fact]
    public void APidSlotWithOnlyItsPid_TakesAFrozenPartBesideIt()
    {
        var slot = new SeriesSlot(LabelSet.Empty, "1", 0);
        FrozenSlotPart frozen = FrozenSlotPart.For(FoldKind.Max, keepsEverySum: false);
        slot.Frozen = frozen;
        Assert.Same(frozen, slot.Frozen);
        Assert.Equal("1", slot.Pid);
        Assert.Equal(LabelSet.Create(["pid"], ["1"]), slot.Labels);
    }
}
