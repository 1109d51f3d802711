using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Pond.Storage;

namespace Pond.Workspaces;

/// <summary>Workspaces (one per brand), the people who sign in to them, and their API keys.</summary>
public sealed partial class WorkspaceService(Database database, TimeProvider clock, AuditLog audit)
{
    private static readonly PasswordHasher<User> Hasher = new();

    public const int MinimumPasswordLength = 8;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    // ---- workspaces -------------------------------------------------------------------------

    public async Task<Workspace> CreateWorkspaceAsync(string slug, string name, string timeZone = "Asia/Shanghai")
    {
        slug = slug.Trim().ToLowerInvariant();
        if (!SlugPattern().IsMatch(slug))
            throw new ValidationFailedException("A workspace slug is 1–40 lowercase letters, digits or hyphens, e.g. 'lily-fashion'.", "slug");
        if (string.IsNullOrWhiteSpace(name))
            throw new ValidationFailedException("A workspace needs a name.", "name");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
            throw new ValidationFailedException($"Unknown time zone '{timeZone}'; use an IANA name such as Asia/Shanghai.", "timeZone");

        var workspace = new Workspace { Id = Guid.CreateVersion7(), Slug = slug, Name = name.Trim(), TimeZone = timeZone, CreatedAt = clock.GetUtcNow() };
        await using var connection = await database.OpenAsync();
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO workspaces (id, slug, name, time_zone, created_at) VALUES (@Id, @Slug, @Name, @TimeZone, @CreatedAt)
            ON CONFLICT (slug) DO NOTHING
            """, workspace);
        if (inserted == 0)
            throw new ConflictException($"A workspace with slug '{slug}' already exists.");
        return workspace;
    }

    public async Task<Workspace?> FindWorkspaceAsync(Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<Workspace>(
            "SELECT id, slug, name, time_zone, created_at FROM workspaces WHERE id = @id", new { id });
    }

    public async Task<Workspace?> FindWorkspaceBySlugAsync(string slug)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<Workspace>(
            "SELECT id, slug, name, time_zone, created_at FROM workspaces WHERE slug = @slug", new { slug = slug.Trim().ToLowerInvariant() });
    }

    public async Task<bool> AnyUserExistsAsync()
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users") > 0;
    }

    // ---- users and memberships --------------------------------------------------------------

    /// <summary>Creates the user if the email is new (else checks nothing about the password) and adds the membership.</summary>
    public async Task<User> AddMemberAsync(Guid workspaceId, string email, string? password, string role, string? displayName = null,
        Guid? staffId = null, string actor = "system")
    {
        email = NormalizeEmail(email);
        if (!Roles.IsValid(role))
            throw new ValidationFailedException($"Unknown role '{role}'; use one of {string.Join(", ", Roles.All)}.", "role");

        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var user = await connection.QuerySingleOrDefaultAsync<User>(
            "SELECT id, email, display_name, password_hash, created_at, last_sign_in_at FROM users WHERE email = @email",
            new { email }, transaction);
        if (user is null)
        {
            if (password is null || password.Length < MinimumPasswordLength)
                throw new ValidationFailedException($"A new user needs a password of at least {MinimumPasswordLength} characters.", "password");
            user = new User
            {
                Id = Guid.CreateVersion7(),
                Email = email,
                DisplayName = string.IsNullOrWhiteSpace(displayName) ? email.Split('@')[0] : displayName.Trim(),
                PasswordHash = Hasher.HashPassword(new User(), password),
                CreatedAt = clock.GetUtcNow(),
            };
            await connection.ExecuteAsync(
                "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES (@Id, @Email, @DisplayName, @PasswordHash, @CreatedAt)",
                user, transaction);
        }

        var added = await connection.ExecuteAsync(
            """
            INSERT INTO memberships (workspace_id, user_id, role, staff_id, created_at) VALUES (@workspaceId, @userId, @role, @staffId, @now)
            ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role, staff_id = excluded.staff_id
            """,
            new { workspaceId, userId = user.Id, role, staffId, now = clock.GetUtcNow() }, transaction);
        await audit.RecordAsync(workspaceId, actor, "member.set", email, new { role }, connection, transaction);
        await transaction.CommitAsync();
        return user;
    }

    public async Task RemoveMemberAsync(Guid workspaceId, Guid userId, string actor)
    {
        await using var connection = await database.OpenAsync();
        var owners = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM memberships WHERE workspace_id = @workspaceId AND role = 'owner' AND user_id <> @userId",
            new { workspaceId, userId });
        var role = await connection.ExecuteScalarAsync<string?>(
            "SELECT role FROM memberships WHERE workspace_id = @workspaceId AND user_id = @userId", new { workspaceId, userId })
            ?? throw new NotFoundException("That person is not a member of this workspace.");
        if (role == Roles.Owner && owners == 0)
            throw new ConflictException("A workspace keeps at least one owner; make someone else owner first.");
        await connection.ExecuteAsync("DELETE FROM memberships WHERE workspace_id = @workspaceId AND user_id = @userId", new { workspaceId, userId });
        await audit.RecordAsync(workspaceId, actor, "member.remove", userId.ToString());
    }

    /// <summary>Checks an email and password; returns the user, or null whatever was wrong (no hint which).</summary>
    public async Task<User?> VerifyPasswordAsync(string email, string password)
    {
        email = NormalizeEmail(email, validate: false);
        await using var connection = await database.OpenAsync();
        var user = await connection.QuerySingleOrDefaultAsync<User>(
            "SELECT id, email, display_name, password_hash, created_at, last_sign_in_at FROM users WHERE email = @email", new { email });
        if (user is null)
        {
            Hasher.VerifyHashedPassword(new User(), FakeHash, password); // same work either way: no timing oracle for emails
            return null;
        }

        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
            return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
            await connection.ExecuteAsync("UPDATE users SET password_hash = @hash WHERE id = @id",
                new { hash = Hasher.HashPassword(user, password), id = user.Id });
        await connection.ExecuteAsync("UPDATE users SET last_sign_in_at = @now WHERE id = @id", new { now = clock.GetUtcNow(), id = user.Id });
        return user;
    }

    private static readonly string FakeHash = Hasher.HashPassword(new User(), Guid.NewGuid().ToString());

    public async Task<IReadOnlyList<Membership>> MembershipsOfAsync(Guid userId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<Membership>(
            """
            SELECT m.workspace_id, m.user_id, m.role, m.staff_id, w.slug AS workspace_slug, w.name AS workspace_name
            FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
            WHERE m.user_id = @userId ORDER BY w.name
            """, new { userId });
        return rows.AsList();
    }

    public async Task<Membership?> MembershipAsync(Guid workspaceId, Guid userId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<Membership>(
            """
            SELECT m.workspace_id, m.user_id, m.role, m.staff_id, w.slug AS workspace_slug, w.name AS workspace_name
            FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
            WHERE m.workspace_id = @workspaceId AND m.user_id = @userId
            """, new { workspaceId, userId });
    }

    public sealed class MemberRow
    {
        public Guid UserId { get; init; }
        public string Email { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string Role { get; init; } = "";
        public Guid? StaffId { get; init; }
        public DateTimeOffset? LastSignInAt { get; init; }
    }

    public async Task<IReadOnlyList<MemberRow>> MembersAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<MemberRow>(
            """
            SELECT u.id AS user_id, u.email, u.display_name, m.role, m.staff_id, u.last_sign_in_at
            FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = @workspaceId ORDER BY u.email
            """, new { workspaceId });
        return rows.AsList();
    }

    public static string NormalizeEmail(string email, bool validate = true)
    {
        email = (email ?? "").Trim().ToLowerInvariant();
        if (validate && !EmailPattern().IsMatch(email))
            throw new ValidationFailedException($"'{email}' is not an email address.", "email");
        return email;
    }

    // ---- API keys ----------------------------------------------------------------------------

    public async Task<CreatedApiKey> CreateKeyAsync(Guid workspaceId, string kind, string name, string actor)
    {
        if (kind is not (ApiKeyKinds.Write or ApiKeyKinds.Secret))
            throw new ValidationFailedException("A key's kind is 'write' (tracking API) or 'secret' (admin API).", "kind");
        if (string.IsNullOrWhiteSpace(name))
            throw new ValidationFailedException("Give the key a name that says where it is used, e.g. 'mini-program'.", "name");

        var plain = (kind == ApiKeyKinds.Write ? "wk_" : "sk_") + RandomToken(32);
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(), WorkspaceId = workspaceId, Kind = kind, Name = name.Trim(),
            Prefix = plain[..10], CreatedAt = clock.GetUtcNow(), CreatedBy = actor,
        };
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, workspace_id, kind, name, prefix, key_hash, created_at, created_by)
            VALUES (@Id, @WorkspaceId, @Kind, @Name, @Prefix, @KeyHash, @CreatedAt, @CreatedBy)
            """,
            new { key.Id, key.WorkspaceId, key.Kind, key.Name, key.Prefix, KeyHash = HashKey(plain), key.CreatedAt, key.CreatedBy });
        await audit.RecordAsync(workspaceId, actor, "key.create", key.Prefix, new { kind, name });
        return new CreatedApiKey(key, plain);
    }

    public async Task<IReadOnlyList<ApiKey>> KeysAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<ApiKey>(
            """
            SELECT id, workspace_id, kind, name, prefix, created_at, created_by, last_used_at, revoked_at
            FROM api_keys WHERE workspace_id = @workspaceId ORDER BY created_at DESC
            """, new { workspaceId });
        return rows.AsList();
    }

    public async Task RevokeKeyAsync(Guid workspaceId, Guid keyId, string actor)
    {
        await using var connection = await database.OpenAsync();
        var changed = await connection.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @now WHERE id = @keyId AND workspace_id = @workspaceId AND revoked_at IS NULL",
            new { keyId, workspaceId, now = clock.GetUtcNow() });
        if (changed == 0)
            throw new NotFoundException("No live key with that id in this workspace.");
        await audit.RecordAsync(workspaceId, actor, "key.revoke", keyId.ToString());
        KeyRevoked?.Invoke(keyId);
    }

    /// <summary>Raised after a revoke so caches drop the key at once.</summary>
    public event Action<Guid>? KeyRevoked;

    /// <summary>Finds a live key by its plain text. Returns null for unknown or revoked keys.</summary>
    public async Task<ApiKey?> FindLiveKeyAsync(string plainText)
    {
        await using var connection = await database.OpenAsync();
        var key = await connection.QuerySingleOrDefaultAsync<ApiKey>(
            """
            SELECT id, workspace_id, kind, name, prefix, created_at, created_by, last_used_at, revoked_at
            FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL
            """, new { hash = HashKey(plainText) });
        if (key is not null && (key.LastUsedAt is null || clock.GetUtcNow() - key.LastUsedAt > TimeSpan.FromMinutes(5)))
            await connection.ExecuteAsync("UPDATE api_keys SET last_used_at = @now WHERE id = @id", new { now = clock.GetUtcNow(), id = key.Id });
        return key;
    }

    // Keys carry 190 bits of randomness, so a fast hash is enough: there is nothing to brute-force.
    public static string HashKey(string plainText) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plainText)));

    private static string RandomToken(int length)
    {
        const string alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }
}
