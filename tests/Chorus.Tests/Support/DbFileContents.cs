using System.Text;
using Chorus.Files;

namespace Chorus.Tests.Support;

/// <summary>Reads a whole .db file into (key text, value) pairs, the way an independent reader would.</summary>
public static class DbFileContents
{
    public static Dictionary<string, double> Read(string path, ValueLayout? layout = null)
    {
        byte[] data = File.ReadAllBytes(path);
        DbFileScan scan = DbFileScan.Scan(data, data.Length, layout);
        Assert.False(scan.Damage.IsDamaged, scan.Damage.ToString());
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (DbEntry entry in scan.Entries)
        {
            result[Encoding.UTF8.GetString(data, entry.KeyOffset, entry.KeyLength)] = DbFileScan.ReadValue(data, entry);
        }

        return result;
    }
}
