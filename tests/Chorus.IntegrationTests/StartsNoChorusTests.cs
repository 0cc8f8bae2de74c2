using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>
/// A class marked as never starting <c>chorus</c> is left out of the pass against the native build: the mark must be
/// true, or that build would go untested there.
/// </summary>
public sealed partial class StartsNoChorusTests
{
    [Fact]
    public void NoClassMarkedAsStartingNoChorus_UsesTheChorusLaunchers()
    {
        string[] marked = typeof(StartsNoChorusTests).Assembly.GetTypes()
            .Where(HasTrait)
            .Select(t => t.Name)
            .ToArray();
        Assert.Contains(nameof(Article.PythonSlotHelperTests), marked);

        string sources = Path.Combine(RepoPaths.Root, "tests", "Chorus.IntegrationTests");
        foreach (string file in Directory.EnumerateFiles(sources, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            string text = File.ReadAllText(file);
            Match declared = ClassName().Match(text);
            if (declared.Success && marked.Contains(declared.Groups[1].Value) && !file.EndsWith(nameof(StartsNoChorusTests) + ".cs", StringComparison.Ordinal))
            {
                Assert.False(Launchers().IsMatch(text), $"{file} is marked as starting no chorus but uses ChorusCli or ChorusServeProcess");
            }
        }
    }

    private static bool HasTrait(Type type) => type.CustomAttributes.Any(a =>
        a.AttributeType == typeof(TraitAttribute)
        && a.ConstructorArguments is [{ Value: StartsNoChorus.Name }, { Value: StartsNoChorus.Value }]);

    [GeneratedRegex(@"^(?:public|internal)[a-z ]* class (\w+)", RegexOptions.Multiline)]
    private static partial Regex ClassName();

    [GeneratedRegex(@"\bChorusCli\b|\bChorusServeProcess\b")]
    private static partial Regex Launchers();
}
