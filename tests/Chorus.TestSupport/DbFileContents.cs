
namespace Chorus.TestSupport;

/// <summary>Reads a whole <c>.db</c> file into (key text, value) pairs with the reference reader (not the product's).</summary>
public static class DbFileContents
{
    /// <summary>The entries of <paramref name="path"/> by key; with no <paramref name="layout"/>, the one that reads the file cleanly.</summary>
    public static Dictionary<string, double> Read(string path, ValueLayout? layout = null)
    {
        byte[] data = File.ReadAllBytes(path);
        List<ReferenceDbEntry> entries = layout switch
        {
            null => ReferenceDbFile.ReadEitherLayout(data).Entries,
            ValueLayout.Value8 => ReferenceDbFile.Read(data, 8),
            _ => ReferenceDbFile.Read(data, 16),
        };
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (ReferenceDbEntry entry in entries)
        {
            Assert.True(result.TryAdd(entry.Key, entry.Value), $"{path} holds the key {entry.Key} twice.");
        }

        return result;
    }
}
