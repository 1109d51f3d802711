using System.Security.Cryptography;

namespace Pond.Commerce.Coupons;

/// <summary>
/// Coupon codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), written in groups of four
/// (e.g. "K7QM-3XRA-HP9D"). 31^12 ≈ 7.9·10^17 codes drawn with a cryptographic generator, so guessing one is hopeless.
/// </summary>
internal static class CouponCodes
{
    public const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    public const int Length = 12;

    public static string New()
    {
        Span<char> chars = stackalloc char[Length + 2];
        var at = 0;
        for (var i = 0; i < Length; i++)
        {
            if (i is 4 or 8)
                chars[at++] = '-';
            chars[at++] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return new string(chars);
    }

    /// <summary>A code as typed or sent by a shop (any case, with or without dashes or spaces) in its stored form.</summary>
    public static string Normalize(string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
            return "";
        var plain = new string(code.Where(c => c is not ('-' or ' ')).Select(char.ToUpperInvariant).ToArray());
        return plain.Length == Length ? $"{plain[..4]}-{plain[4..8]}-{plain[8..]}" : plain;
    }
}
