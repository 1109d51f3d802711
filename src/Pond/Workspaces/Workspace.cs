namespace Pond.Workspaces;

public sealed class Workspace
{
    public Guid Id { get; init; }
    public string Slug { get; init; } = "";
    public string Name { get; init; } = "";
    public string TimeZone { get; init; } = "Asia/Shanghai";
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed class User
{
    public Guid Id { get; init; }
    public string Email { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastSignInAt { get; init; }
}

public sealed class Membership
{
    public Guid WorkspaceId { get; init; }
    public Guid UserId { get; init; }
    public string Role { get; init; } = "";
    public Guid? StaffId { get; init; }
    public string WorkspaceSlug { get; init; } = "";
    public string WorkspaceName { get; init; } = "";
}

public sealed class ApiKey
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public string Prefix { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}

public static class ApiKeyKinds
{
    /// <summary>Tracking API only (/v1/*); safe to embed in an app or mini-program.</summary>
    public const string Write = "write";

    /// <summary>Admin API (/api/*); server to server, never shipped to clients.</summary>
    public const string Secret = "secret";
}

/// <summary>A key as created: the only moment its plain text exists.</summary>
public sealed record CreatedApiKey(ApiKey Key, string PlainText);
