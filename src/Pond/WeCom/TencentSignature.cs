using System.Security.Cryptography;
using System.Text;

namespace Pond.WeCom;

/// <summary>
/// The signature WeCom and the WeChat official account share: SHA1 (hex) of the values sorted by ordinal
/// and concatenated. SHA1 is the protocol's choice, not Pond's.
/// </summary>
internal static class TencentSignature
{
    public static string Compute(params string[] values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
#pragma warning disable CA5350 // SHA1 is what the Tencent protocols specify.
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
#pragma warning restore CA5350
    }

    public static bool Matches(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given.ToLowerInvariant()));
}
