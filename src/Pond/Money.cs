namespace Pond;

/// <summary>Money is yuan (decimal) in the API and fen (whole numbers) in storage.</summary>
internal static class Money
{
    public static long ToFen(decimal yuan) => (long)decimal.Round(yuan * 100m, MidpointRounding.AwayFromZero);

    public static decimal FromFen(long fen) => fen / 100m;
}
