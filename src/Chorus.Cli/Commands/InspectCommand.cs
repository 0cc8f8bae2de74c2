using System.Globalization;
using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chorus.Files;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus inspect PATH [--json]</c>: show what a <c>.db</c> file (or every one in a directory) holds and where it is damaged.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "A .db file or a multiprocess directory." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var command = new Command("inspect", "Show a .db file's name parts, layout, used/capacity, entries and any damage (or those of every *.db in a directory).")
        {
            path,
            json,
        };
        command.SetAction(result => Run(result.GetValue(path)!, result.GetValue(json)));
        return command;
    }

    private static int Run(string path, bool json)
    {
        string[] files;
        if (Directory.Exists(path))
        {
            files = Directory.GetFiles(path, "*.db");
            Array.Sort(files, StringComparer.Ordinal);
        }
        else if (File.Exists(path))
        {
            files = [path];
        }
        else
        {
            Console.Error.WriteLine($"chorus: '{path}' does not exist: pass a .db file or a directory of them.");
            return 1;
        }

        List<DbFileInspection> inspections = files.Select(DbFileInspection.Inspect).ToList();
        if (json)
        {
            List<InspectedFile> dto = inspections.Select(ToDto).ToList();
            // Keys are JSON text themselves: relaxed escaping keeps their quotes readable.
            var context = new InspectJsonContext(new JsonSerializerOptions(InspectJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            Console.Out.WriteLine(JsonSerializer.Serialize(dto, context.ListInspectedFile));
        }
        else
        {
            foreach (DbFileInspection inspection in inspections)
            {
                WriteText(inspection);
            }
        }

        return 0;
    }

    private static void WriteText(DbFileInspection file)
    {
        TextWriter o = Console.Out;
        o.WriteLine(file.Name is { } name
            ? $"{file.FileName}: {Describe(name)}"
            : $"{file.FileName}: not read by the collector ({file.NameError})");
        if (file.ReadError is not null)
        {
            o.WriteLine($"  unreadable: {file.ReadError}");
            return;
        }

        o.WriteLine(FormattableString.Invariant($"  layout {LayoutText(file.Layout)}, used {file.Used} of {file.FileLength} bytes, {file.Entries.Count} entries"));
        o.WriteLine(file.Damage.IsDamaged
            ? FormattableString.Invariant($"  damaged at offset {file.Damage.Offset}: {file.Damage.Kind}: {file.Damage.Detail}")
            : "  damage: none");
        foreach (DbInspectedEntry entry in file.Entries)
        {
            o.WriteLine(FormattableString.Invariant($"  @{entry.Offset,-7} {Number(entry.Value),-22} ts {Number(entry.Timestamp),-20} {entry.Key}"));
        }
    }

    private static string Describe(DbFileName name) => name.ModeName is { } mode
        ? $"gauge, mode {mode}, identity {name.Identity}"
        : $"{name.Kind.ToString().ToLowerInvariant()}, identity {name.Identity}";

    private static string LayoutText(ValueLayout? layout) => layout switch
    {
        ValueLayout.Value8 => "8-byte (value; prometheus_client <= 0.17)",
        ValueLayout.ValueAndTimestamp16 => "16-byte (value + timestamp; prometheus_client >= 0.18)",
        _ => "unknown (no entries)",
    };

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static InspectedFile ToDto(DbFileInspection file) => new(
        file.FileName,
        file.Path,
        file.Name?.Kind.ToString().ToLowerInvariant(),
        file.Name?.ModeName,
        file.Name?.Identity,
        file.NameError,
        file.ReadError,
        file.Layout switch { ValueLayout.Value8 => 8, ValueLayout.ValueAndTimestamp16 => 16, _ => null },
        file.Used,
        file.FileLength,
        file.Entries.Count,
        file.Damage.IsDamaged ? new InspectedDamage(file.Damage.Kind.ToString(), file.Damage.Offset, file.Damage.Detail) : null,
        file.Entries.Select(e => new InspectedEntry(e.Offset, e.Key, e.Value, e.Timestamp)).ToList());
}

internal sealed record InspectedFile(
    string File,
    string Path,
    string? Kind,
    string? Mode,
    string? Identity,
    string? NameError,
    string? ReadError,
    int? LayoutBytes,
    int Used,
    long Capacity,
    int EntryCount,
    InspectedDamage? Damage,
    List<InspectedEntry> Entries);

internal sealed record InspectedDamage(string Kind, long Offset, string Detail);

internal sealed record InspectedEntry(int Offset, string Key, double Value, double Timestamp);

/// <summary>Source-generated JSON so the tool stays trim- and AOT-clean; NaN and infinities are written as strings.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(List<InspectedFile>))]
internal sealed partial class InspectJsonContext : JsonSerializerContext;
