using System.Text.Json;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Cli;

/// <summary>
/// The runtime settings the <c>chorus</c> project gives its builds (Chorus.Cli.csproj; the native build compiles the same
/// ones in), read from the framework-dependent build's <c>chorus.runtimeconfig.json</c>.
/// </summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class RuntimeSettingsTests
{
    [Theory]
    [InlineData("System.GC.ConserveMemory", 9)]
    [InlineData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", 0)]
    public void TheCli_RunsWith(string setting, int value)
    {
        string path = Path.ChangeExtension(RepoPaths.ChorusDll, ".runtimeconfig.json");
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.Equal(value, properties.GetProperty(setting).GetInt32());
    }
}
