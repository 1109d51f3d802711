using Pond.Audience;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Audience;

/// <summary>How the console names tag history: what happened and who or what did it.</summary>
internal static class TagDisplay
{
    public static string Action(Text t, string action) => action switch
    {
        TagActions.Added => t["tag added"],
        TagActions.Removed => t["tag removed"],
        _ => action,
    };

    public static string Source(Text t, string source) => source switch
    {
        TagSources.Manual => t["by hand"],
        TagSources.Api => t["admin API"],
        TagSources.Bulk => t["bulk tagging"],
        TagSources.Event => t["tracked event"],
        TagSources.Import => t["CSV import"],
        _ when source.StartsWith("channel:", StringComparison.Ordinal) => t["channel {0}", source["channel:".Length..]],
        _ when source.StartsWith("segment:", StringComparison.Ordinal) => t["segment {0}", source["segment:".Length..]],
        _ => source,
    };
}
