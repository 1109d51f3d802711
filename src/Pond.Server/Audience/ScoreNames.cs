using System.Globalization;
using Pond.Audience.Scores;

namespace Pond.Server.Audience;

/// <summary>RFM cell and lifecycle stage names in the console's language (both names live with the codes, not in the string tables).</summary>
internal static class ScoreNames
{
    private static bool Chinese => CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    public static string Cell(string? code)
    {
        var cell = RfmCells.All.FirstOrDefault(c => c.Code == code);
        return cell is null ? "—" : Chinese ? cell.NameZh : cell.NameEn;
    }

    public static string Stage(string? code)
    {
        var stage = LifecycleStages.All.FirstOrDefault(s => s.Code == code);
        return stage.Code is null ? code ?? "—" : Chinese ? stage.NameZh : stage.NameEn;
    }
}
