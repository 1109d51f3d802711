using System.Globalization;
using Pond.Content;
using Pond.Server.Localization;

namespace Pond.Server.Components.Pages.Content;

/// <summary>How the content library's pages name kinds, sizes and days.</summary>
internal static class ContentDisplay
{
    public static string Kind(Text t, string kind) => kind switch
    {
        ContentKinds.Text => t["Script"],
        ContentKinds.Image => t["Image"],
        ContentKinds.Poster => t["Poster"],
        ContentKinds.Article => t["Article"],
        ContentKinds.Link => t["Link"],
        ContentKinds.MiniProgram => t["Mini-program card"],
        ContentKinds.Video => t["Video"],
        _ => kind,
    };

    public static string Size(long? bytes) => bytes switch
    {
        null => "",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes.Value / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes.Value / 1024.0 / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };

    public static string Day(int day) => $"{day / 10000:0000}-{day / 100 % 100:00}-{day % 100:00}";

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Yuan(decimal value) => "¥" + value.ToString("N2", CultureInfo.InvariantCulture);

    public static string Query(Guid? folder, string? kind, string? tag, string? q, bool archived = false)
    {
        var parts = new List<string>();
        if (folder is { } f)
            parts.Add($"folder={f}");
        if (!string.IsNullOrEmpty(kind))
            parts.Add($"kind={Uri.EscapeDataString(kind)}");
        if (!string.IsNullOrEmpty(tag))
            parts.Add($"tag={Uri.EscapeDataString(tag)}");
        if (!string.IsNullOrEmpty(q))
            parts.Add($"q={Uri.EscapeDataString(q)}");
        if (archived)
            parts.Add("archived=true");
        return parts.Count == 0 ? "/content" : "/content?" + string.Join("&", parts);
    }
}
