using Chorus.Fuzz;
using SharpFuzz;

// chorus-fuzz TARGET: runs one target under afl-fuzz (persistent mode through SharpFuzz), or once on stdin
// when afl-fuzz is not driving it. An exception escaping a target is a finding: each target catches only the
// errors its contract promises for bad input.
if (args.Length != 1 || !FuzzTargets.All.TryGetValue(args[0], out Action<Stream>? target))
{
    Console.Error.WriteLine($"usage: Chorus.Fuzz TARGET   (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
    return 2;
}

Fuzzer.Run(target);
return 0;
