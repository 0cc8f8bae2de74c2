using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Buffers;
using Chorus.Aggregation;
using Chorus.AspNetCore.Buffers;
using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using FsCheck.Xunit;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// The gzip body is a sequence of members, most of them kept from the last scrape; whatever changed between scrapes,
/// it must decompress to exactly the identity body, and a scrape must compress only what changed.
/// </summary>
public sealed class GzipMemberCacheTests
{
    [Property(MaxTest = 60)]
    public bool RandomChangesBetweenScrapes_DecompressToTheIdentityBody(int seed, bool openMetrics)
    {
        var random = new Random(seed);
        var families = Enumerable.Range(0, random.Next(0, 40)).Select(i => RandomFamily(random, i)).ToList();
        var cache = new GzipMemberCache(random.Next(2) == 0 ? CompressionLevel.Fastest : CompressionLevel.Optimal);
        for (int scrape = 0; scrape < 12; scrape++)
        {
            (byte[] body, int dataEnd) = Body(families, scrape, openMetrics);
            if (!Gunzip(Compress(cache, body, dataEnd)).AsSpan().SequenceEqual(body))
            {
                return false;
            }

            Change(families, random);
        }

        return true;
    }

    [Property(MaxTest = 40)]
    public bool KeptBody_IsGzippedPartByPart_IntoTheMembersOfTheWholeBody(int seed, bool openMetrics)
    {
        var random = new Random(seed);
        var families = Enumerable.Range(0, random.Next(0, 40)).Select(i => RandomFamily(random, i)).ToList();
        // Optimal: no member is compressed again on a pool thread, so the two caches' members are the same bytes.
        var whole = new GzipMemberCache(CompressionLevel.Optimal);
        var byParts = new GzipMemberCache(CompressionLevel.Optimal);
        for (int scrape = 0; scrape < 4; scrape++)
        {
            (byte[] body, int dataEnd) = Body(families, scrape, openMetrics);
            using SegmentedBody kept = Kept(families, body, dataEnd);
            GzipBody gzip = byParts.Compress(kept, dataEnd);
            byte[] wire = [.. gzip.Members.SelectMany(member => member.ToArray())];
            if (wire.Length != gzip.Length || !wire.AsSpan().SequenceEqual(Compress(whole, body, dataEnd)) || byParts.LastFreshBytes != whole.LastFreshBytes)
            {
                return false;
            }

            Change(families, random);
        }

        return true;
    }

    [Fact]
    public void UnchangedFamilies_AreSentFromKeptMembers_OnlyTheChangedGroupAndTheTailAreCompressed()
    {
        var random = new Random(7);
        var families = Enumerable.Range(0, 60).Select(i => Family(i, samples: random.Next(1, 20))).ToList();
        families.AddRange(Enumerable.Range(60, 3).Select(i => Family(i, samples: 800)));
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        (byte[] first, int firstEnd) = Body(families, 0, openMetrics: true);
        Compress(cache, first, firstEnd);
        Assert.Equal(first.Length, cache.LastFreshBytes);
        int members = cache.LastMemberCount;
        Assert.InRange(members, 8, 40);

        (byte[] sameData, int sameEnd) = Body(families, 1, openMetrics: true);
        Compress(cache, sameData, sameEnd);
        Assert.Equal(sameData.Length - sameEnd, cache.LastFreshBytes);

        // A small family grows by a byte: its group and the tail are compressed, every other member is found again.
        families[20] = families[20].Replace(" 1\n", " 10\n", StringComparison.Ordinal);
        (byte[] smallChange, int smallEnd) = Body(families, 2, openMetrics: true);
        byte[] wire = Compress(cache, smallChange, smallEnd);
        Assert.Equal(smallChange, Gunzip(wire));
        Assert.Equal(members, cache.LastMemberCount);
        Assert.InRange(cache.LastFreshBytes, families[20].Length + (smallChange.Length - smallEnd), smallChange.Length / 10);

        // A big family gains a line at its end: only its last piece is new (its first 512 lines are one piece of their own).
        families[61] += "app_family_61{i=\"extra\"} 1\n";
        (byte[] bigChange, int bigEnd) = Body(families, 3, openMetrics: true);
        Compress(cache, bigChange, bigEnd);
        int firstPiece = LinesLength(families[61], GzipMemberCuts.PieceLines);
        Assert.Equal(families[61].Length - firstPiece + (bigChange.Length - bigEnd), cache.LastFreshBytes);
    }

    [Fact]
    public void KeptFamiliesSeenAgainUnderTheirVersion_AreNotCutAgain_AndTheBodyIsTheSame()
    {
        var families = Enumerable.Range(0, 6).Select(i => Family(i, samples: i % 2 == 0 ? 1_500 : 3)).ToList();
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        int keptFamilies = families.Count(family => family.Length >= RenderedFamily.KeptMinimumBytes);
        Assert.Equal(3, keptFamilies);
        int[] known = new int[4];
        for (int scrape = 0; scrape < known.Length; scrape++)
        {
            (byte[] body, int dataEnd) = Body(families, scrape, openMetrics: true);
            using SegmentedBody kept = Kept(families, body, dataEnd);
            GzipBody gzip = cache.Compress(kept, dataEnd);
            Assert.Equal(body, Gunzip([.. gzip.Members.SelectMany(member => member.ToArray())]));
            known[scrape] = cache.LastPartsKnown;

            // Between the third scrape and the fourth, one big family changes a value: it alone is cut again.
            if (scrape == 2)
            {
                families[2] = families[2].Replace("{i=\"700\"} 1\n", "{i=\"700\"} 2\n", StringComparison.Ordinal);
            }
        }

        Assert.Equal([0, keptFamilies, keptFamilies, keptFamilies - 1], known);
    }

    [Fact]
    public void BigFamily_IsCutEveryPieceLinesFromItsHelpLine_AndAChangedValueRenewsOnlyItsPiece()
    {
        var families = new List<string> { Family(0, samples: 3), Family(1, samples: 2_000), Family(2, samples: 3) };
        (byte[] body, int dataEnd) = Body(families, 0, openMetrics: false);
        List<int> cuts = [];
        GzipMemberCuts.Find(body, dataEnd, cuts);

        int familyStart = families[0].Length;
        int[] pieces = [.. Enumerable.Range(1, 3).Select(k => familyStart + LinesLength(families[1], k * GzipMemberCuts.PieceLines))];
        Assert.Equal([familyStart, .. pieces, familyStart + families[1].Length], cuts.Where(c => c < dataEnd));

        var cache = new GzipMemberCache(CompressionLevel.Optimal);
        Compress(cache, body, dataEnd);
        // Sample 700 is in the second piece; its value gets longer, which moves no later cut.
        families[1] = families[1].Replace("{i=\"700\"} 1\n", "{i=\"700\"} 12345\n", StringComparison.Ordinal);
        (byte[] changed, int changedEnd) = Body(families, 0, openMetrics: false);
        byte[] wire = Compress(cache, changed, changedEnd);

        Assert.Equal(changed, Gunzip(wire));
        Assert.Equal(pieces[1] - pieces[0] + 4, cache.LastFreshBytes);
    }

    [Theory]
    [InlineData(CompressionLevel.Fastest)]
    [InlineData(CompressionLevel.Optimal)]
    public void ManyNewPieces_AreCompressedOnEveryCore_IntoTheBodyInOrder(CompressionLevel level)
    {
        var families = Enumerable.Range(0, 12).Select(i => Family(i, samples: 3_000 + i)).ToList();
        var cache = new GzipMemberCache(level);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            (byte[] body, int dataEnd) = Body(families, scrape, openMetrics: true);
            byte[] wire = Compress(cache, body, dataEnd);

            Assert.InRange(cache.LastFreshBytes - cache.LastStoredBytes, GzipMemberCache.ParallelFreshBytes, int.MaxValue);
            Assert.Equal(Math.Max(1, Environment.ProcessorCount), cache.LastCompressRuns);
            Assert.InRange(cache.LastMemberCount, 12 * 6, 12 * 7 + 1);
            Assert.Equal(body, Gunzip(wire));
            Assert.True(wire.Length < body.Length / 3, $"{wire.Length} bytes sent for {body.Length}");
            for (int i = 0; i < families.Count; i++)
            {
                families[i] = families[i].Replace($" {scrape + 1}\n", $" {scrape + 2}\n", StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void BigKeptBody_IsCutOnEveryCore_IntoTheMembersOfTheWholeBody()
    {
        var random = new Random(5);
        var families = Enumerable.Range(0, 24).Select(i => i % 3 == 0 ? Family(i, samples: 2_000 + i) : RandomFamily(random, i)).ToList();
        var whole = new GzipMemberCache(CompressionLevel.Optimal);
        var byParts = new GzipMemberCache(CompressionLevel.Optimal);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            (byte[] body, int dataEnd) = Body(families, scrape, openMetrics: scrape == 1);
            using SegmentedBody kept = Kept(families, body, dataEnd);
            GzipBody gzip = byParts.Compress(kept, dataEnd);
            byte[] wire = [.. gzip.Members.SelectMany(member => member.ToArray())];

            // Later bodies find their unchanged big families by version, and cut less than takes every core.
            if (scrape == 0)
            {
                Assert.Equal(Math.Max(1, Environment.ProcessorCount), byParts.LastCutWorkers);
            }
            else
            {
                Assert.True(byParts.LastPartsKnown > 0);
            }

            Assert.Equal(Compress(whole, body, dataEnd), wire);
            Assert.Equal(whole.LastMemberCount, byParts.LastMemberCount);
            Assert.Equal(whole.LastFreshBytes, byParts.LastFreshBytes);
            Change(families, random);
        }
    }

    [Fact]
    public async Task PartsThatComeBackUnchanged_AreCompressedAgainSmaller_AndStillDecompressToTheBody()
    {
        var random = new Random(11);
        var families = Enumerable.Range(0, 30).Select(i => RandomFamily(random, i)).ToList();
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        (byte[] body, int dataEnd) = Body(families, 0, openMetrics: false);
        byte[] fast = Compress(cache, body, dataEnd);
        await cache.PromotionAsync();

        byte[] again = Compress(cache, body, dataEnd);
        await cache.PromotionAsync();
        byte[] promoted = Compress(cache, body, dataEnd);

        Assert.Equal(fast, again);
        Assert.True(promoted.Length < fast.Length * 0.9, $"{promoted.Length} bytes after promotion, {fast.Length} before");
        Assert.Equal(body, Gunzip(promoted));
        Assert.Equal(0, cache.LastFreshBytes);
    }

    [Fact]
    public async Task PartsUnchangedOnlySinceAPreparation_AreNotCompressedAgain_UntilTheNextScrapeFindsThemToo()
    {
        var random = new Random(12);
        var families = Enumerable.Range(0, 30).Select(i => RandomFamily(random, i)).ToList();
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        (byte[] body, int dataEnd) = Body(families, 0, openMetrics: false);

        // A preparation makes the members; the scrape after it finds them unchanged, but only since the preparation.
        CompressKept(cache, families, body, dataEnd, preparation: true);
        byte[] first = CompressKept(cache, families, body, dataEnd);
        await cache.PromotionAsync();
        byte[] second = CompressKept(cache, families, body, dataEnd);
        Assert.Equal(first.Length, second.Length);

        // The second scrape found them unchanged since the first: they stayed a scrape interval.
        await cache.PromotionAsync();
        byte[] promoted = CompressKept(cache, families, body, dataEnd);
        Assert.True(promoted.Length < first.Length * 0.9, $"{promoted.Length} bytes after promotion, {first.Length} before");
        Assert.Equal(body, Gunzip(promoted));
    }

    [Fact]
    public async Task ChangedParts_AreSentStored_UpToTheBudget_ThenCompressed_AndCompressedLaterIfTheyStay()
    {
        var families = Enumerable.Range(0, 40).Select(i => Family(i, samples: 200)).ToList();
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        (byte[] first, int firstEnd) = Body(families, 0, openMetrics: true);
        Compress(cache, first, firstEnd);
        Assert.InRange(first.Length, GzipMemberCache.StoredFreshBytes * 2, int.MaxValue);
        Assert.InRange(cache.LastStoredBytes, GzipMemberCache.StoredFreshBytes - families[0].Length, GzipMemberCache.StoredFreshBytes);

        // Three families change: each is a member of its own, sent as it is, with no deflater set up.
        foreach (int changed in new[] { 3, 17, 30 })
        {
            families[changed] = families[changed].Replace(" 1\n", " 2\n", StringComparison.Ordinal);
        }

        (byte[] small, int smallEnd) = Body(families, 1, openMetrics: true);
        byte[] wire = Compress(cache, small, smallEnd);
        Assert.Equal(small, Gunzip(wire));
        Assert.Equal(families[3].Length + families[17].Length + families[30].Length, cache.LastStoredBytes);
        Assert.Equal(cache.LastStoredBytes + (small.Length - smallEnd), cache.LastFreshBytes);

        // They stay: compressed on a pool thread, then sent compressed.
        Compress(cache, small, smallEnd);
        await cache.PromotionAsync();
        byte[] promoted = Compress(cache, small, smallEnd);
        Assert.Equal(small, Gunzip(promoted));
        Assert.True(promoted.Length < wire.Length - (cache.LastStoredBytes / 2), $"{promoted.Length} bytes after promotion, {wire.Length} stored");

        // Every family changes: the budget is stored, the rest compressed.
        for (int i = 0; i < families.Count; i++)
        {
            families[i] = families[i].Replace(" 2\n", " 3\n", StringComparison.Ordinal).Replace(" 1\n", " 3\n", StringComparison.Ordinal);
        }

        (byte[] all, int allEnd) = Body(families, 2, openMetrics: true);
        byte[] allWire = Compress(cache, all, allEnd);
        Assert.Equal(all, Gunzip(allWire));
        Assert.InRange(cache.LastStoredBytes, GzipMemberCache.StoredFreshBytes - families[0].Length, GzipMemberCache.StoredFreshBytes);
        Assert.True(allWire.Length < all.Length / 2, $"{allWire.Length} bytes sent for {all.Length}");
    }

    [Fact]
    public void AnyLevelButFastest_CompressesEveryNewPart()
    {
        var families = Enumerable.Range(0, 10).Select(i => Family(i, samples: 200)).ToList();
        var cache = new GzipMemberCache(CompressionLevel.Optimal);
        (byte[] body, int dataEnd) = Body(families, 0, openMetrics: false);

        byte[] wire = Compress(cache, body, dataEnd);

        Assert.Equal(body, Gunzip(wire));
        Assert.Equal(0, cache.LastStoredBytes);
        Assert.True(wire.Length < body.Length / 4, $"{wire.Length} bytes sent for {body.Length}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmptyBody_IsOneValidEmptyMember(bool withTail)
    {
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        byte[] body = withTail ? "# EOF\n"u8.ToArray() : [];

        byte[] wire = Compress(cache, body, 0);

        Assert.NotEmpty(wire);
        Assert.Equal(body, Gunzip(wire));
        Assert.Equal(1, cache.LastMemberCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(GzipMemberCache.StoredPartBytes - 1)]
    [InlineData(ushort.MaxValue)]
    [InlineData(ushort.MaxValue + 1)]
    [InlineData(GzipMemberCache.StoredFreshBytes * 3)]
    public void StoredMember_DecompressesToThePart(int length)
    {
        byte[] part = [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7))];

        Assert.Equal(part, Gunzip(GzipMembers.Stored(part)));
    }

    [Fact]
    public void Cuts_AreFamilyStartsOrTheDataEnd_AndMoveOnlyBesideAFamilyThatChanged()
    {
        var random = new Random(3);
        var families = Enumerable.Range(0, 200).Select(i => RandomFamily(random, i)).ToList();
        (byte[] body, int dataEnd) = Body(families, 0, openMetrics: false);
        List<int> cuts = [];
        GzipMemberCuts.Find(body, dataEnd, cuts);

        // A family past PieceLines lines is also cut inside, at line starts (BigFamily_IsCutEveryPieceLines... pins where).
        Assert.All(cuts, cut => Assert.True(cut == dataEnd || body.AsSpan(cut).StartsWith("# HELP "u8) || body[cut - 1] == (byte)'\n', $"cut at {cut}"));
        Assert.Equal(cuts.Order(), cuts);
        Assert.Equal(cuts.Distinct(), cuts);
        Assert.DoesNotContain(0, cuts);
        Assert.InRange(cuts.Count, 200 / GzipMemberCuts.GroupSpread / 2, 200 / GzipMemberCuts.GroupSpread * 2);

        // Family 100 grows: every cut outside it keeps its place relative to the families around it.
        int growth = 5_000;
        families[100] += string.Concat(Enumerable.Repeat("x", growth - 1)) + "\n";
        (byte[] grown, int grownEnd) = Body(families, 0, openMetrics: false);
        List<int> grownCuts = [];
        GzipMemberCuts.Find(grown, grownEnd, grownCuts);
        int familyStart = families.Take(100).Sum(f => f.Length);
        int familyEnd = familyStart + families[100].Length;
        Assert.Equal(cuts.Where(c => c < familyStart), grownCuts.Where(c => c < familyStart));
        Assert.Equal(cuts.Where(c => c > familyEnd - growth).Select(c => c + growth), grownCuts.Where(c => c > familyEnd));
    }

    [Fact]
    public void RunBlocks_AreGivenBackOnceReleased_AndNeverWhileAResponseSendsThem()
    {
        // Every family new in every body (all values change), big enough to be compressed in runs on every core.
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        GzipBody a = cache.Compress(NewBody(0, out byte[] first), first.Length);
        byte[] aWire = a.Members.SelectMany(m => m.ToArray()).ToArray();
        GzipBody b = cache.Compress(NewBody(1, out byte[] second), second.Length);
        cache.Release(b);

        // The first body is kept by no body now, but its response is still sending: its blocks stay, untouched.
        GzipBody c = cache.Compress(NewBody(2, out byte[] third), third.Length);
        Assert.Equal(aWire, a.Members.SelectMany(m => m.ToArray()).ToArray());
        Assert.Equal(first, Gunzip(aWire));
        Assert.Empty(Arrays(a).Intersect(Arrays(c)));
        Assert.All(Arrays(a), run => Assert.False(run.IsFreed));

        // The second body's response is done and no later body keeps its members: its blocks were given back.
        Assert.All(Arrays(b), run => Assert.True(run.IsFreed));

        cache.Release(a);
        cache.Release(c);
        GzipBody d = cache.Compress(NewBody(3, out byte[] fourth), fourth.Length);
        Assert.Equal(fourth, Gunzip(d.Members.SelectMany(m => m.ToArray()).ToArray()));
        Assert.All(Arrays(a).Union(Arrays(c)).Except(Arrays(d)), run => Assert.True(run.IsFreed));
        Assert.All(Arrays(d), run => Assert.False(run.IsFreed));
    }

    [Fact]
    public void RunBlocks_FewUnchangedMembersAreCarriedOut_SoAWarmCacheHoldsAboutOneBody()
    {
        // Nine families in ten change in every body; the unchanged tenth used to keep each old block from being given
        // back, so the blocks held grew with every body.
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        var random = new Random(11);
        List<string> families = [.. Enumerable.Range(0, 60).Select(i => Family(100_000 + i, 400))];
        long mostHeldPerSent = 0;
        for (int scrape = 1; scrape <= 120; scrape++)
        {
            for (int i = 0; i < families.Count; i++)
            {
                if (random.Next(10) != 0)
                {
                    families[i] = Family((100_000 * (1 + (scrape % 9))) + i, 400);
                }
            }

            (byte[] body, int dataEnd) = Body(families, scrape, false);
            GzipBody gzip = cache.Compress(body, dataEnd);
            Assert.Equal(body, Gunzip([.. gzip.Members.SelectMany(m => m.ToArray())]));
            cache.Release(gzip);
            long inRuns = gzip.Members.Sum(member => (long)member.Length) - StoredBytes(gzip);
            if (scrape > 20)
            {
                mostHeldPerSent = Math.Max(mostHeldPerSent, cache.RunBytes * 100 / inRuns);
            }
        }

        // The blocks held are the last body's: its members, some room, and the carried ones (3 bodies' worth without carrying).
        Assert.InRange(mostHeldPerSent, 100, 180);
    }

    [Fact]
    public void NewMembers_NeedScratchForOneMemberPerCore_NotForAShareOfTheBody()
    {
        // Every family new and compressed on every core: each core's share used to sit in a scratch buffer of its own
        // between scrapes, 12.6 MB for the GitLab-sized host's 6 MB body.
        var families = Enumerable.Range(0, 24).Select(i => Family(i, samples: 4_000 + i)).ToList();
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        (byte[] body, int dataEnd) = Body(families, 0, openMetrics: false);
        GzipBody gzip = cache.Compress(body, dataEnd);
        byte[] wire = [.. gzip.Members.SelectMany(member => member.ToArray())];

        Assert.Equal(body, Gunzip(wire));
        int largestMember = gzip.Members.Max(member => member.Length);
        Assert.InRange(cache.ScratchBytes, 0, 4 * largestMember * Math.Max(1, Environment.ProcessorCount));
        Assert.True(cache.ScratchBytes < wire.Length / 4, $"{cache.ScratchBytes} bytes of scratch for {wire.Length} sent");
    }

    [Fact]
    public void PartsThatCompressWorseThanTheLastBody_OverflowIntoMoreArrays_AndTheNextBodyFitsOne()
    {
        // Random hex label values compress to about half, the first body's guess is less than a third: its members
        // outgrow the first array taken for them.
        var random = new Random(5);
        List<string> families = [.. Enumerable.Range(0, 16).Select(i => HexFamily(random, i, 3_000))];
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            (byte[] body, int dataEnd) = Body(families, scrape, openMetrics: false);
            GzipBody gzip = cache.Compress(body, dataEnd);

            Assert.Equal(body, Gunzip([.. gzip.Members.SelectMany(member => member.ToArray())]));
            long inRuns = gzip.Members.Sum(member => (long)member.Length) - StoredBytes(gzip);
            long arrays = Arrays(gzip).Sum(array => (long)array.Length);
            if (scrape == 0)
            {
                Assert.True(Arrays(gzip).Count >= 2, $"one array of {arrays} bytes for {inRuns}");
            }
            else
            {
                Assert.Single(Arrays(gzip));
                Assert.InRange(arrays, inRuns, inRuns * 3 / 2);
            }

            cache.Release(gzip);
            families = [.. Enumerable.Range(0, 16).Select(i => HexFamily(random, i, 3_000))];
        }
    }

    [Fact]
    public void ABodyOfOnlyItsTail_DoesNotSizeTheNextBigBodysArray()
    {
        // The tail alone is stored, about as long as its part: taken as the ratio, the next all-new body took an array
        // as long as its text (29.8 MB for the GitLab-sized host's 6 MB of members).
        var random = new Random(7);
        var cache = new GzipMemberCache(CompressionLevel.Fastest);
        var seen = new HashSet<GzipRunBuffer>();
        List<string> families = [];
        for (int scrape = 0; scrape < 4; scrape++)
        {
            if (scrape % 2 == 0)
            {
                families = [.. Enumerable.Range(0, 16).Select(i => Family((1_000 * i) + scrape + 1, 3_000 + random.Next(100)))];
            }

            (byte[] body, int dataEnd) = Body(families, scrape, openMetrics: false);
            GzipBody gzip = cache.Compress(body, dataEnd);

            Assert.Equal(body, Gunzip([.. gzip.Members.SelectMany(member => member.ToArray())]));
            long inRuns = gzip.Members.Sum(member => (long)member.Length) - StoredBytes(gzip);
            long taken = Arrays(gzip).Where(array => !seen.Contains(array)).Sum(array => (long)array.Length);
            if (scrape == 2)
            {
                Assert.InRange(taken, 0, inRuns * 3 / 2);
            }

            seen.UnionWith(Arrays(gzip));
            cache.Release(gzip);
        }
    }

    [Fact]
    public void ABodyThatFailsHalfWay_LeavesNothingHalfMadeForTheNextBody()
    {
        var families = Enumerable.Range(0, 12).Select(i => Family(i, samples: 400)).ToList();
        (byte[] body, int dataEnd) = Body(families, 0, openMetrics: false);
        int failures = 0;
        for (int failAt = 1; failAt < 10_000; failAt++)
        {
            // Optimal: every new member waits for CompressFresh, none is stored at once.
            var cache = new GzipMemberCache(CompressionLevel.Optimal);
            using var failing = new FailingMemory([.. body], failAt);
            try
            {
                cache.Compress(failing.Memory, dataEnd);
                break;
            }
            catch (Exception e) when (IsInjected(e))
            {
                failures++;
            }

            // The failed body's buffer goes back to its pool and is written over, as a rendering's would be.
            failing.Overwrite();
            Assert.Equal(body, Gunzip(Compress(cache, body, dataEnd)));
        }

        // Failures while cutting, while taking members, and while compressing them.
        Assert.True(failures > 24, $"{failures} failure points");
    }

    private static bool IsInjected(Exception e) =>
        e is InjectedFailure || (e is AggregateException aggregate && aggregate.InnerExceptions.All(IsInjected));

    private sealed class InjectedFailure : Exception;

    /// <summary>A body whose bytes fail to be read once, at the <c>failAt</c>-th read of any slice of it.</summary>
    private sealed class FailingMemory(byte[] bytes, int failAt) : MemoryManager<byte>
    {
        private int _reads;

        public override Span<byte> GetSpan() =>
            Interlocked.Increment(ref _reads) == failAt ? throw new InjectedFailure() : bytes;

        public void Overwrite() => bytes.AsSpan().Fill((byte)'x');

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    /// <summary>The bytes of a body's members that slice no run block (the stored ones, arrays of their own).</summary>
    private static long StoredBytes(GzipBody body) =>
        body.Members.Where(member => !System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(member, out NativeBuffer? _)).Sum(member => (long)member.Length);

    private static string HexFamily(Random random, int id, int samples)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# HELP app_hex_{id} Family {id}.\n# TYPE app_hex_{id} gauge\n");
        for (int i = 0; i < samples; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"app_hex_{id}{{h=\"{random.NextInt64():x16}{random.NextInt64():x16}\"}} 1\n");
        }

        return text.ToString();
    }

    private static byte[] NewBody(int scrape, out byte[] body)
    {
        (body, _) = Body([.. Enumerable.Range(scrape * 100, 60).Select(i => Family(i, 400))], scrape, false);
        return body;
    }

    /// <summary>The run blocks a body's members slice (stored members have arrays of their own).</summary>
    private static HashSet<GzipRunBuffer> Arrays(GzipBody body) => [.. body.Runs!];

    private static byte[] Compress(GzipMemberCache cache, byte[] body, int dataEnd)
    {
        GzipBody gzip = cache.Compress(body, dataEnd);
        byte[] wire = [.. gzip.Members.SelectMany(member => member.ToArray())];
        Assert.Equal(gzip.Length, wire.Length);
        return wire;
    }

    private static byte[] CompressKept(GzipMemberCache cache, List<string> families, byte[] body, int dataEnd, bool preparation = false)
    {
        using SegmentedBody kept = Kept(families, body, dataEnd);
        GzipBody gzip = cache.Compress(kept, dataEnd, preparation);
        byte[] wire = [.. gzip.Members.SelectMany(member => member.ToArray())];
        cache.Release(gzip);
        return wire;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> s_versions = new(StringComparer.Ordinal);

    private static long VersionOf(string family) => s_versions.GetOrAdd(family, _ => s_versions.Count + 1L);

    /// <summary>The body as the endpoint keeps it for a big host: families as long as a kept rendering by reference, the rest copied.</summary>
    /// <remarks>
    /// Each kept family has the version of its text (the same text, the same version, as a rendering keeps its version
    /// while it is not formatted again), so the cache finds unchanged families by version, as a server's does.
    /// </remarks>
    private static SegmentedBody Kept(List<string> families, byte[] body, int dataEnd)
    {
        var kept = new SegmentedBody(1024, int.MaxValue, new ResponseBuffers(), keepsBytes: true);
        int offset = 0;
        foreach (string family in families)
        {
            int length = Encoding.UTF8.GetByteCount(family);
            if (length >= RenderedFamily.KeptMinimumBytes)
            {
                kept.WriteKept(body.AsMemory(offset, length), NoLease.Instance, VersionOf(family));
            }
            else
            {
                kept.Write(body.AsSpan(offset, length));
            }

            offset += length;
        }

        Assert.Equal(dataEnd, offset);
        kept.Write(body.AsSpan(offset));
        kept.Seal();
        return kept;
    }

    private sealed class NoLease : IKeptBytesLease
    {
        public static readonly NoLease Instance = new();

        public void Release()
        {
        }
    }

    // GZipStream reads every member of a multi-member body, as gzip(1), Go's gzip.Reader and Python's gzip do.
    private static byte[] Gunzip(byte[] wire)
    {
        using var input = new GZipStream(new MemoryStream(wire), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        input.CopyTo(plain);
        return plain.ToArray();
    }

    private static (byte[] Body, int DataEnd) Body(List<string> families, int scrape, bool openMetrics)
    {
        string data = string.Concat(families);
        string tail = "# HELP chorus_scrape_duration_seconds Seconds.\n# TYPE chorus_scrape_duration_seconds gauge\n"
            + string.Create(CultureInfo.InvariantCulture, $"chorus_scrape_duration_seconds {scrape}\n") + (openMetrics ? "# EOF\n" : "");
        return (Encoding.UTF8.GetBytes(data + tail), Encoding.UTF8.GetByteCount(data));
    }

    private static string Family(int id, int samples)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# HELP app_family_{id} Family {id}.\n# TYPE app_family_{id} gauge\n");
        for (int i = 0; i < samples; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"app_family_{id}{{i=\"{i}\"}} 1\n");
        }

        return text.ToString();
    }

    /// <summary>The length of the first <paramref name="lines"/> lines of <paramref name="text"/> (ASCII).</summary>
    private static int LinesLength(string text, int lines)
    {
        int at = 0;
        for (int i = 0; i < lines; i++)
        {
            at = text.IndexOf('\n', at) + 1;
        }

        return at;
    }

    // Mostly small families, some past the size that makes a family a member of its own.
    private static string RandomFamily(Random random, int id) => Family(id, random.Next(10) == 0 ? random.Next(300, 900) : random.Next(0, 12));

    private static void Change(List<string> families, Random random)
    {
        int changes = random.Next(0, 4);
        for (int c = 0; c < changes; c++)
        {
            int which = random.Next(Math.Max(1, families.Count));
            switch (random.Next(5))
            {
                case 0:
                    families.Insert(Math.Min(which, families.Count), RandomFamily(random, 1000 + random.Next(1000)));
                    break;
                case 1 when families.Count > 0:
                    families.RemoveAt(which);
                    break;
                case 2 when families.Count > 0:
                    families[which] += $"app_more{{i=\"{random.Next()}\"}} {random.NextDouble()}\n";
                    break;
                case 3 when families.Count > 0:
                    families[which] = families[which].Replace(" 1\n", $" {random.Next(100)}\n", StringComparison.Ordinal);
                    break;
                case 4 when families.Count > 1:
                    // Two families swap bytes: same parts, another order.
                    int other = random.Next(families.Count);
                    (families[which], families[other]) = (families[other], families[which]);
                    break;
            }
        }
    }
}
