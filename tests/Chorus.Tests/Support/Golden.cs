using System.Text;

namespace Chorus.Tests.Support;

/// <summary>
/// Byte-for-byte golden files under <c>tests/Chorus.Tests/golden/</c>. Set <c>CHORUS_UPDATE_GOLDEN=1</c> to
/// rewrite them from the actual output (then review the diff and commit).
/// </summary>
public static class Golden
{
    public static void Verify(string name, string actual)
    {
        string source = Path.Combine(RepoPaths.Root, "tests", "Chorus.Tests", "golden", name);
        if (Environment.GetEnvironmentVariable("CHORUS_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(source, actual, new UTF8Encoding(false));
            return;
        }

        string expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", name), Encoding.UTF8);
        Assert.Equal(expected, actual);
    }
}
