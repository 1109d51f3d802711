namespace Pond.Server.Channels;

/// <summary>Who is looking at a landing page (live-code and experiment links): no login there, so a first-party cookie names the visitor.</summary>
internal static class LandingVisitor
{
    private const string Cookie = "pond_vid";

    /// <summary>The visitor's id from the cookie, or a new one set on the response.</summary>
    public static string Resolve(HttpContext context)
    {
        var visitor = context.Request.Cookies[Cookie];
        if (visitor is not { Length: 32 } || !visitor.All(char.IsAsciiHexDigitLower))
        {
            visitor = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            context.Response.Cookies.Append(Cookie, visitor, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), IsEssential = true, Secure = context.Request.IsHttps,
            });
        }

        return visitor;
    }

    /// <summary>Region: from the link (a store poster per city) or a header the edge proxy sets from the scanner's IP.</summary>
    public static string? Region(HttpContext context, string? fromLink)
    {
        var region = fromLink ?? context.Request.Headers["X-Pond-Region"].FirstOrDefault();
        return string.IsNullOrWhiteSpace(region) ? null : region.Trim()[..Math.Min(region.Trim().Length, 50)];
    }
}
