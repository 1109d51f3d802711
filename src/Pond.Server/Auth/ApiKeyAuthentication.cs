using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Pond.Workspaces;

namespace Pond.Server.Auth;

/// <summary>
/// Two key schemes over one lookup: the tracking API's write key as the Basic user name (what Segment
/// SDKs send) and the admin API's secret key as a Bearer token. Keys are cached briefly because the
/// tracking API checks one on every request; a revoke evicts the key at once.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string WriteKeyScheme = "WriteKey";
    public const string SecretKeyScheme = "SecretKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Parameter is null)
            return AuthenticateResult.NoResult();

        string? plain = null;
        if (Scheme.Name == WriteKeyScheme && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
                plain = decoded.Split(':', 2)[0];
            }
            catch (FormatException)
            {
                return AuthenticateResult.Fail("The Basic credentials are not valid base64.");
            }
        }
        else if (Scheme.Name == SecretKeyScheme && header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            plain = header.Parameter;
        }

        if (string.IsNullOrEmpty(plain))
            return AuthenticateResult.NoResult();

        var key = await cache.FindAsync(plain);
        var wantedKind = Scheme.Name == WriteKeyScheme ? ApiKeyKinds.Write : ApiKeyKinds.Secret;
        if (key is null || key.Kind != wantedKind)
            return AuthenticateResult.Fail($"Unknown or revoked {wantedKind} key.");

        Claim[] claims =
        [
            new(PondClaims.Workspace, key.WorkspaceId.ToString()),
            new(PondClaims.KeyKind, key.Kind),
            new(PondClaims.Actor, $"key:{key.Prefix}"),
            new(ClaimTypes.Name, $"key:{key.Prefix}"),
            // A secret key acts with admin rights; a write key only reaches the tracking API.
            .. key.Kind == ApiKeyKinds.Secret ? new[] { new Claim(ClaimTypes.Role, Roles.Admin) } : [],
        ];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (Scheme.Name == WriteKeyScheme)
            Response.Headers.WWWAuthenticate = "Basic realm=\"pond\"";
        else
            Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}

internal sealed class ApiKeyCache : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly WorkspaceService _workspaces;

    public ApiKeyCache(WorkspaceService workspaces)
    {
        _workspaces = workspaces;
        workspaces.KeyRevoked += _ => _cache.Compact(1.0);
    }

    public async Task<ApiKey?> FindAsync(string plain)
    {
        var hash = WorkspaceService.HashKey(plain);
        if (_cache.TryGetValue(hash, out ApiKey? key))
            return key;
        key = await _workspaces.FindLiveKeyAsync(plain);
        // Short lifetime so a key revoked on another node stops working within seconds.
        _cache.Set(hash, key, TimeSpan.FromSeconds(10));
        return key;
    }

    public void Dispose() => _cache.Dispose();
}
