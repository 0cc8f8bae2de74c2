using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Chorus.Internal;

namespace Chorus.Benchmarks;

/// <summary>
/// What a writer-side change map would add to each recorded value (issue 11: a warm scrape of a GitLab-sized host reads
/// all 5.1 M values because nothing says which ~125,000 changed). The candidates, each after the value's own store, on a
/// sequence word per region of the file that readers compare with what they saw:
/// <list type="bullet">
/// <item><c>Bump</c>: an atomic increment every time (no reader writes the word; several readers each keep their own).</item>
/// <item><c>BumpIfSeen</c>: a plain load, and the atomic increment only when a reader marked the word seen (its low bit)
/// since the last bump; a gauge's plain store then needs a full fence before that load, or the load may pass the store.</item>
/// </list>
/// On native memory (as a mapped file's), two cells of one region: two threads contend on the value's line and the word's.
/// Run: <c>dotnet bench/Chorus.Benchmarks/bin/Release/net10.0/Chorus.Benchmarks.dll --filter '*ChangeMapCost*' --job short --inProcess</c>.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class ChangeMapCostBenchmarks : IDisposable
{
    private const int Operations = 100_000;
    private const int RegionBytes = 256;

    private byte* _memory;

    /// <summary>Threads recording at once (each on its own cell of the same region).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _memory = (byte*)NativeMemory.AlignedAlloc(2 * RegionBytes, 4096);

    [GlobalCleanup]
    public void Dispose()
    {
        NativeMemory.AlignedFree(_memory);
        _memory = null;
        GC.SuppressFinalize(this);
    }

    [BenchmarkCategory("Add"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void Add() => Run(default(AddOnly));

    [BenchmarkCategory("Add"), Benchmark(OperationsPerInvoke = Operations)]
    public void AddThenBump() => Run(default(AddBump));

    [BenchmarkCategory("Add"), Benchmark(OperationsPerInvoke = Operations)]
    public void AddThenBumpIfSeen() => Run(default(AddBumpIfSeen));

    [BenchmarkCategory("Set"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void Set() => Run(default(SetOnly));

    [BenchmarkCategory("Set"), Benchmark(OperationsPerInvoke = Operations)]
    public void SetThenBump() => Run(default(SetBump));

    [BenchmarkCategory("Set"), Benchmark(OperationsPerInvoke = Operations)]
    public void SetFencedThenBumpIfSeen() => Run(default(SetFencedBumpIfSeen));

    private static void BumpIfSeen(long* word)
    {
        if ((Volatile.Read(ref *word) & 1) != 0)
        {
            Interlocked.Increment(ref *word);
        }
    }

    // Struct records let the JIT specialise and inline each loop, so only the recording is measured.
    private interface IRecord
    {
        void Record(double* cell, long* word);
    }

    private readonly struct AddOnly : IRecord
    {
        public void Record(double* cell, long* word) => AtomicDouble.Add(cell, 1);
    }

    private readonly struct AddBump : IRecord
    {
        public void Record(double* cell, long* word)
        {
            AtomicDouble.Add(cell, 1);
            Interlocked.Increment(ref *word);
        }
    }

    private readonly struct AddBumpIfSeen : IRecord
    {
        public void Record(double* cell, long* word)
        {
            // The add's locked compare-exchange is a full fence already.
            AtomicDouble.Add(cell, 1);
            BumpIfSeen(word);
        }
    }

    private readonly struct SetOnly : IRecord
    {
        public void Record(double* cell, long* word) => AtomicDouble.Write(cell, 42);
    }

    private readonly struct SetBump : IRecord
    {
        public void Record(double* cell, long* word)
        {
            AtomicDouble.Write(cell, 42);
            Interlocked.Increment(ref *word);
        }
    }

    private readonly struct SetFencedBumpIfSeen : IRecord
    {
        public void Record(double* cell, long* word)
        {
            AtomicDouble.Write(cell, 42);
            Interlocked.MemoryBarrier();
            BumpIfSeen(word);
        }
    }

    private void Run<TRecord>(TRecord record)
        where TRecord : struct, IRecord
    {
        // The word at the start of the second region, the cells 16 bytes apart in the first (one thread each).
        long* word = (long*)(_memory + RegionBytes);
        if (Threads == 1)
        {
            double* cell = (double*)_memory;
            for (int i = 0; i < Operations; i++)
            {
                record.Record(cell, word);
            }

            return;
        }

        nint memory = (nint)_memory;
        int perThread = Operations / Threads;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            double* cell = (double*)(memory + (16 * t));
            long* shared = (long*)(memory + RegionBytes);
            for (int i = 0; i < perThread; i++)
            {
                record.Record(cell, shared);
            }
        });
    }
}
