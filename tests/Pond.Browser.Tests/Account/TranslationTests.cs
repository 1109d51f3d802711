using System.Globalization;
using System.Text.RegularExpressions;
using Pond.Server.Localization;

namespace Pond.Browser.Tests.Account;

/// <summary>Every string the shell, sign-in and settings pages show has its Chinese text (Chinese is the default).</summary>
public sealed partial class TranslationTests
{
    private static readonly string[] ShellFolders = ["Components/Layout", "Components/Pages/Account", "Components/Pages/Settings"];

    [Fact]
    public void ShellAndSettingsStrings_AllHaveZhCnTranslations()
    {
        var server = Path.Combine(RepositoryRoot(), "src", "Pond.Server");
        var files = ShellFolders.SelectMany(f => Directory.EnumerateFiles(Path.Combine(server, f), "*.*", SearchOption.AllDirectories))
            .Append(Path.Combine(server, "Components", "Pages", "Home.razor"))
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .ToList();
        var used = files.SelectMany(f => KeyPattern().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet();
        used.Count.ShouldBeGreaterThan(100);

        var translated = new Text().Keys("zh-CN");
        used.Where(k => !translated.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ShouldBeEmpty();
    }

    [Fact]
    public void Placeholders_MatchBetweenEnglishAndChinese()
    {
        var text = new Text();
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
            foreach (var key in text.Keys("zh-CN"))
            {
                var english = PlaceholderPattern().Matches(key).Select(m => m.Value).Order().ToList();
                var chinese = PlaceholderPattern().Matches(text[key].Value).Select(m => m.Value).Order().ToList();
                chinese.ShouldBe(english, key);
            }
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [GeneratedRegex("""\b[Tt]\["((?:[^"\\]|\\.)+)"[\],]""")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex PlaceholderPattern();

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pond.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Run the tests from inside the repository.");
    }
}
