namespace Chorus.TestChild;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.WriteLine($"usage: Chorus.TestChild <scenario> ... (got {args.Length} arguments)");
        return 2;
    }
}
