using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Pond.Server.Localization;

namespace Pond.Tests.Customers;

public sealed partial class ConsoleStringsTests
{
    [Fact]
    public void ConsolePages_HaveAZhCnTranslationForEveryString()
    {
        var components = Path.GetFullPath(Path.Combine(SourceDirectory(), "../../../src/Pond.Server/Components"));
        var keys = Directory.EnumerateFiles(components, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => TextKey().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Distinct()
            .ToList();
        keys.Count.ShouldBeGreaterThan(200);

        var translated = new Text().Keys("zh-CN");
        keys.Where(k => !translated.Contains(k)).ShouldBeEmpty();
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    [GeneratedRegex("""\b[Tt]\["([^"]+)"[\],]""")]
    private static partial Regex TextKey();
}
