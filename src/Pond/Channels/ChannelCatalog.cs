using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Dapper;
using Microsoft.Extensions.Logging;
using Pond.Alerts;
using Pond.Customers;
using Pond.Storage;
using Pond.WeCom;
using Pond.Workspaces;

namespace Pond.Channels;

/// <summary>
/// Channels, their spend and their live codes. Every write is validated (the message says what to fix), bound to
/// one workspace and audited. With WeCom connected, each staff account of a code gets its own contact way (联系我)
/// carrying the code's state, so WeCom tells Pond which code every add came through.
/// </summary>
internal sealed class ChannelCatalog(
    Database database, AuditLog audit, AlertBoard alerts, WeComConnections wecom, TimeProvider clock, ILogger<ChannelCatalog> logger)
{
    public const int MaxMembers = 50;
    public const int MaxLogoBytes = 64 * 1024;
    private const string SlugAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    // ---- channels ---------------------------------------------------------------------------

    private const string ChannelSelect =
        """
        SELECT c.id, c.name, c.kind, c.hook, c.tags, c.notes, c.archived, c.created_at, c.updated_at,
               (SELECT COUNT(*) FROM live_codes l WHERE l.channel_id = c.id) AS codes,
               COALESCE((SELECT SUM(s.amount_fen) FROM channel_spend s WHERE s.channel_id = c.id), 0) AS spend_fen
        FROM channels c
        """;

    public async Task<IReadOnlyList<Channel>> ListChannelsAsync(Guid workspaceId, bool includeArchived = true)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<ChannelRow>(
            $"{ChannelSelect} WHERE c.workspace_id = @workspaceId{(includeArchived ? "" : " AND c.archived = @no")} ORDER BY c.archived, c.created_at DESC",
            new { workspaceId, no = false });
        return rows.Select(r => r.ToChannel()).ToList();
    }

    public async Task<Channel> GetChannelAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await FindChannelAsync(connection, workspaceId, id) ?? throw ChannelNotFound(id);
    }

    public async Task<Channel> CreateChannelAsync(Guid workspaceId, ChannelInput input, string actor)
    {
        var clean = Validate(input);
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await RequireUniqueNameAsync(connection, transaction, workspaceId, clean.Name, null);
        await connection.ExecuteAsync(
            """
            INSERT INTO channels (id, workspace_id, name, kind, hook, tags, notes, archived, created_at, updated_at)
            VALUES (@id, @workspaceId, @Name, @Kind, @Hook, @Tags, @Notes, @Archived, @now, @now)
            """, new { id, workspaceId, clean.Name, clean.Kind, clean.Hook, Tags = JsonSerializer.Serialize(clean.Tags), clean.Notes, clean.Archived, now }, transaction);
        await audit.RecordAsync(workspaceId, actor, "channel.create", id.ToString(), new { clean.Name, clean.Kind, clean.Tags }, connection, transaction);
        await transaction.CommitAsync();
        return (await FindChannelAsync(connection, workspaceId, id))!;
    }

    public async Task<Channel> UpdateChannelAsync(Guid workspaceId, Guid id, ChannelInput input, string actor)
    {
        var clean = Validate(input);
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        _ = await FindChannelAsync(connection, workspaceId, id, transaction) ?? throw ChannelNotFound(id);
        await RequireUniqueNameAsync(connection, transaction, workspaceId, clean.Name, id);
        await connection.ExecuteAsync(
            """
            UPDATE channels SET name = @Name, kind = @Kind, hook = @Hook, tags = @Tags, notes = @Notes, archived = @Archived, updated_at = @now
            WHERE workspace_id = @workspaceId AND id = @id
            """, new { id, workspaceId, clean.Name, clean.Kind, clean.Hook, Tags = JsonSerializer.Serialize(clean.Tags), clean.Notes, clean.Archived, now = clock.GetUtcNow() }, transaction);
        await audit.RecordAsync(workspaceId, actor, "channel.update", id.ToString(), new { clean.Name, clean.Kind, clean.Tags, clean.Archived }, connection, transaction);
        await transaction.CommitAsync();
        return (await FindChannelAsync(connection, workspaceId, id))!;
    }

    /// <summary>A channel that brought anyone keeps its history: archive it instead.</summary>
    public async Task DeleteChannelAsync(Guid workspaceId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var channel = await FindChannelAsync(connection, workspaceId, id, transaction) ?? throw ChannelNotFound(id);
        var adds = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM acquisitions WHERE workspace_id = @workspaceId AND channel_id = @id", new { workspaceId, id }, transaction);
        if (adds > 0)
            throw new ConflictException($"{channel.Name} has {adds} add(s) credited to it; archive the channel instead of deleting it, so its analytics stay.");
        await connection.ExecuteAsync("DELETE FROM channels WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
        await audit.RecordAsync(workspaceId, actor, "channel.delete", id.ToString(), new { channel.Name }, connection, transaction);
        await transaction.CommitAsync();
    }

    private static async Task<Channel?> FindChannelAsync(DbConnection connection, Guid workspaceId, Guid id, DbTransaction? transaction = null) =>
        (await connection.QuerySingleOrDefaultAsync<ChannelRow>($"{ChannelSelect} WHERE c.workspace_id = @workspaceId AND c.id = @id", new { workspaceId, id }, transaction))?.ToChannel();

    private static async Task RequireUniqueNameAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, string name, Guid? except)
    {
        var clash = await connection.QuerySingleOrDefaultAsync<Guid?>(
            "SELECT id FROM channels WHERE workspace_id = @workspaceId AND name = @name", new { workspaceId, name }, transaction);
        if (clash is { } other && other != except)
            throw new ConflictException($"A channel named '{name}' exists already; channel names are unique so reports can tell them apart.");
    }

    private static CleanChannel Validate(ChannelInput input)
    {
        var name = input.Name?.Trim() ?? "";
        if (name.Length is 0 or > 100)
            throw new ValidationFailedException("name is required: 1–100 characters, e.g. 双11包裹卡.", "name");
        var kind = input.Kind?.Trim() ?? "";
        if (!ChannelKinds.All.Contains(kind))
            throw new ValidationFailedException($"kind must be one of {string.Join(", ", ChannelKinds.All)}.", "kind");
        var hook = Optional(input.Hook, 500, "hook");
        var notes = Optional(input.Notes, 2000, "notes");
        var tags = CleanTags(input.Tags);
        return new CleanChannel(name, kind, hook, tags, notes, input.Archived ?? false);
    }

    internal static List<string> CleanTags(List<string>? tags)
    {
        // The same rules as every tag in the catalog: the channel applies these through Pond.Audience.CustomerTags.
        var clean = (tags ?? []).Select(t => Pond.Audience.TagNames.Clean(t, "tags")).Distinct(StringComparer.Ordinal).ToList();
        if (clean.Count > 20)
            throw new ValidationFailedException("A channel applies at most 20 tags.", "tags");
        return clean;
    }

    private static string? Optional(string? value, int max, string field)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
            return null;
        return trimmed.Length <= max ? trimmed : throw new ValidationFailedException($"{field} is at most {max} characters.", field);
    }

    private static NotFoundException ChannelNotFound(Guid id) => new($"No channel {id} in this workspace.");

    private sealed record CleanChannel(string Name, string Kind, string? Hook, List<string> Tags, string? Notes, bool Archived);

    private sealed class ChannelRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public string? Hook { get; init; }
        public string Tags { get; init; } = "[]";
        public string? Notes { get; init; }
        public bool Archived { get; init; }
        public long Codes { get; init; }
        public long SpendFen { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public Channel ToChannel() => new()
        {
            Id = Id, Name = Name, Kind = Kind, Hook = Hook, Tags = JsonSerializer.Deserialize<List<string>>(Tags) ?? [], Notes = Notes,
            Archived = Archived, Codes = (int)Codes, TotalSpend = Money.FromFen(SpendFen), CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }

    // ---- spend ------------------------------------------------------------------------------

    public async Task<IReadOnlyList<SpendEntry>> ListSpendAsync(Guid workspaceId, Guid channelId)
    {
        await using var connection = await database.OpenAsync();
        _ = await FindChannelAsync(connection, workspaceId, channelId) ?? throw ChannelNotFound(channelId);
        var rows = await connection.QueryAsync<SpendRow>(
            """
            SELECT id, channel_id, code_id, spent_on, amount_fen, note, created_by, created_at FROM channel_spend
            WHERE workspace_id = @workspaceId AND channel_id = @channelId ORDER BY spent_on DESC, created_at DESC
            """, new { workspaceId, channelId });
        return rows.Select(r => r.ToEntry()).ToList();
    }

    public async Task<SpendEntry> AddSpendAsync(Guid workspaceId, Guid channelId, SpendInput input, string actor)
    {
        if (input.SpentOn is not { } day)
            throw new ValidationFailedException("spentOn is required: the day the money was spent, as yyyy-MM-dd.", "spentOn");
        if (input.Amount is not { } amount || amount <= 0 || amount > 100_000_000m || decimal.Round(amount, 2) != amount)
            throw new ValidationFailedException("amount is required: yuan spent, more than 0 and at most 100,000,000, with at most 2 decimals.", "amount");
        var note = Optional(input.Note, 200, "note");
        var id = Guid.CreateVersion7();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        _ = await FindChannelAsync(connection, workspaceId, channelId, transaction) ?? throw ChannelNotFound(channelId);
        if (input.CodeId is { } codeId && await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM live_codes WHERE workspace_id = @workspaceId AND channel_id = @channelId AND id = @codeId",
                new { workspaceId, channelId, codeId }, transaction) == 0)
            throw new ValidationFailedException($"Live code {codeId} is not a code of this channel; leave codeId empty to book the spend on the channel.", "codeId");
        await connection.ExecuteAsync(
            """
            INSERT INTO channel_spend (id, workspace_id, channel_id, code_id, spent_on, amount_fen, note, created_by, created_at)
            VALUES (@id, @workspaceId, @channelId, @codeId, @spentOn, @fen, @note, @actor, @now)
            """, new { id, workspaceId, channelId, codeId = input.CodeId, spentOn = Days.ToNumber(day), fen = Money.ToFen(amount), note, actor, now = clock.GetUtcNow() }, transaction);
        await audit.RecordAsync(workspaceId, actor, "channel.spend", channelId.ToString(), new { spentOn = day, amount, input.CodeId, note }, connection, transaction);
        await Analytics.InsightDirty.MarkDayAsync(connection, transaction, workspaceId, day, clock.GetUtcNow());
        await transaction.CommitAsync();
        return (await ListSpendAsync(workspaceId, channelId)).First(s => s.Id == id);
    }

    public async Task DeleteSpendAsync(Guid workspaceId, Guid channelId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        var spentOn = await connection.ExecuteScalarAsync<int?>(
            "DELETE FROM channel_spend WHERE workspace_id = @workspaceId AND channel_id = @channelId AND id = @id RETURNING spent_on", new { workspaceId, channelId, id })
            ?? throw new NotFoundException($"No spend entry {id} on channel {channelId}.");
        await Analytics.InsightDirty.MarkDayAsync(connection, null, workspaceId, Days.FromNumber(spentOn), clock.GetUtcNow());
        await audit.RecordAsync(workspaceId, actor, "channel.spend.delete", channelId.ToString(), new { id });
    }

    private sealed class SpendRow
    {
        public Guid Id { get; init; }
        public Guid ChannelId { get; init; }
        public Guid? CodeId { get; init; }
        public long SpentOn { get; init; }
        public long AmountFen { get; init; }
        public string? Note { get; init; }
        public string CreatedBy { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }

        public SpendEntry ToEntry() => new()
        {
            Id = Id, ChannelId = ChannelId, CodeId = CodeId, SpentOn = Days.FromNumber((int)SpentOn), Amount = Money.FromFen(AmountFen),
            Note = Note, CreatedBy = CreatedBy, CreatedAt = CreatedAt,
        };
    }

    // ---- live codes -------------------------------------------------------------------------

    private const string CodeSelect =
        """
        SELECT l.id, l.workspace_id, l.channel_id, c.name AS channel_name, c.hook AS channel_hook, l.kind, l.name, l.slug, l.state, l.strategy,
               l.welcome_text, l.welcome_material, l.welcome_coupon, l.status, l.scans, l.created_at, l.updated_at,
               (SELECT MIN(a.message) FROM alerts a WHERE a.workspace_id = l.workspace_id AND a.subject_id = l.id AND a.resolved_at IS NULL) AS alert,
               (SELECT COUNT(*) FROM alerts a WHERE a.workspace_id = l.workspace_id AND a.subject_id = l.id AND a.resolved_at IS NULL
                    AND a.kind = 'group_code_nearly_full') > 0 AS nearly_full_alert,
               (SELECT COUNT(*) FROM alerts a WHERE a.workspace_id = l.workspace_id AND a.subject_id = l.id AND a.resolved_at IS NULL
                    AND a.kind = 'live_code_broken') > 0 AS broken_alert
        FROM live_codes l JOIN channels c ON c.id = l.channel_id
        """;

    public async Task<IReadOnlyList<LiveCode>> ListCodesAsync(Guid workspaceId, Guid? channelId = null)
    {
        await using var connection = await database.OpenAsync();
        var codes = (await connection.QueryAsync<LiveCode>(
            $"{CodeSelect} WHERE l.workspace_id = @workspaceId{(channelId is null ? "" : " AND l.channel_id = @channelId")} ORDER BY l.created_at DESC",
            new { workspaceId, channelId })).AsList();
        var members = await MembersAsync(connection, null, codes.Select(c => c.Id).ToList());
        foreach (var code in codes)
            code.Members = members.GetValueOrDefault(code.Id) ?? [];
        return codes;
    }

    public async Task<LiveCode> GetCodeAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await FindCodeAsync(connection, null, workspaceId, id) ?? throw CodeNotFound(id);
    }

    public async Task<LiveCode> CreateCodeAsync(Guid workspaceId, LiveCodeInput input, string actor)
    {
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        await using (var connection = await database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var clean = await ValidateAsync(connection, transaction, workspaceId, input, null);
            var slug = NewSlug();
            await connection.ExecuteAsync(
                """
                INSERT INTO live_codes (id, workspace_id, channel_id, kind, name, slug, state, strategy, welcome_text, welcome_material, welcome_coupon,
                    status, scans, created_at, updated_at)
                VALUES (@id, @workspaceId, @ChannelId, @Kind, @Name, @slug, @state, @Strategy, @WelcomeText, @WelcomeMaterial, @WelcomeCoupon, @Status, 0, @now, @now)
                """,
                new
                {
                    id, workspaceId, clean.ChannelId, clean.Kind, clean.Name, slug, state = StateOf(slug), clean.Strategy, clean.WelcomeText,
                    clean.WelcomeMaterial, clean.WelcomeCoupon, clean.Status, now,
                }, transaction);
            await SaveMembersAsync(connection, transaction, id, clean.Members);
            await audit.RecordAsync(workspaceId, actor, "live_code.create", id.ToString(),
                new { clean.Name, clean.Kind, clean.Strategy, members = clean.Members.Select(m => m.CarrierId) }, connection, transaction);
            await transaction.CommitAsync();
        }

        await SyncContactWaysAsync(workspaceId, id);
        return await GetCodeAsync(workspaceId, id);
    }

    /// <summary>Replaces a code's settings and members; the printed QR and short link stay the same.</summary>
    public async Task<LiveCode> UpdateCodeAsync(Guid workspaceId, Guid id, LiveCodeInput input, string actor)
    {
        await using (var connection = await database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var before = await FindCodeAsync(connection, transaction, workspaceId, id) ?? throw CodeNotFound(id);
            var clean = await ValidateAsync(connection, transaction, workspaceId, input, before);
            await connection.ExecuteAsync(
                """
                UPDATE live_codes SET channel_id = @ChannelId, name = @Name, strategy = @Strategy, welcome_text = @WelcomeText,
                    welcome_material = @WelcomeMaterial, welcome_coupon = @WelcomeCoupon, status = @Status, updated_at = @now
                WHERE workspace_id = @workspaceId AND id = @id
                """,
                new { id, workspaceId, clean.ChannelId, clean.Name, clean.Strategy, clean.WelcomeText, clean.WelcomeMaterial, clean.WelcomeCoupon, clean.Status, now = clock.GetUtcNow() },
                transaction);
            // Keep each account's contact way: it is printed nowhere, but WeCom counts them per account.
            var kept = before.Members.ToDictionary(m => m.CarrierId);
            await connection.ExecuteAsync("DELETE FROM live_code_members WHERE code_id = @id", new { id }, transaction);
            await SaveMembersAsync(connection, transaction, id, clean.Members, kept);
            await audit.RecordAsync(workspaceId, actor, "live_code.update", id.ToString(),
                new { clean.Name, clean.Strategy, clean.Status, members = clean.Members.Select(m => m.CarrierId) }, connection, transaction);
            await transaction.CommitAsync();
        }

        await SyncContactWaysAsync(workspaceId, id);
        return await GetCodeAsync(workspaceId, id);
    }

    /// <summary>A code that brought anyone keeps its history: pause it instead.</summary>
    public async Task DeleteCodeAsync(Guid workspaceId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var code = await FindCodeAsync(connection, transaction, workspaceId, id) ?? throw CodeNotFound(id);
        var adds = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM acquisitions WHERE workspace_id = @workspaceId AND code_id = @id", new { workspaceId, id }, transaction);
        if (adds > 0)
            throw new ConflictException($"{code.Name} has {adds} add(s) credited to it; set its status to 'paused' instead of deleting it.");
        await connection.ExecuteAsync("DELETE FROM live_codes WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
        await connection.ExecuteAsync("UPDATE alerts SET resolved_at = @now WHERE workspace_id = @workspaceId AND subject_id = @id AND resolved_at IS NULL",
            new { workspaceId, id, now = clock.GetUtcNow() }, transaction);
        await audit.RecordAsync(workspaceId, actor, "live_code.delete", id.ToString(), new { code.Name }, connection, transaction);
        await transaction.CommitAsync();
    }

    /// <summary>
    /// Makes a WeCom contact way for every WeCom account of a staff code that has none yet. A refusal raises a console
    /// alert and leaves the account on its own contact link, so saving a code never fails because WeCom did.
    /// </summary>
    public async Task SyncContactWaysAsync(Guid workspaceId, Guid codeId)
    {
        if (await wecom.GetAsync(workspaceId) is not { } connection || wecom.ClientFor(connection) is not { } client)
            return;
        var code = await GetCodeAsync(workspaceId, codeId);
        if (code.Kind != LiveCodeKinds.Staff)
            return;
        var failures = new List<string>();
        foreach (var member in code.Members.Where(m => m.CarrierKind == CarrierKinds.WecomAccount && m.ContactWayId is null && m.ExternalId is not null))
        {
            try
            {
                var way = await client.AddContactWayAsync([member.ExternalId!], code.State);
                await using var db = await database.OpenAsync();
                await db.ExecuteAsync("UPDATE live_code_members SET contact_way_id = @id, contact_url = @url WHERE code_id = @codeId AND carrier_id = @carrierId",
                    new { id = way.ConfigId, url = way.QrCode, codeId, carrierId = member.CarrierId });
            }
            catch (Exception e) when (e is WeComApiException or HttpRequestException or TaskCanceledException)
            {
                logger.LogWarning(e, "WeCom refused a contact way for {Account} on live code {Code}", member.CarrierName, codeId);
                failures.Add($"{member.CarrierName}: {e.Message}");
            }
        }

        if (failures.Count > 0)
            await alerts.RaiseAsync(workspaceId, AlertKinds.ContactWayFailed, codeId, $"WeCom could not make a contact way for {string.Join("; ", failures)}");
        else
            await alerts.ResolveAsync(workspaceId, AlertKinds.ContactWayFailed, codeId);
    }

    /// <summary>The code behind a short link, in whatever workspace it is (the landing page knows only the slug).</summary>
    public async Task<LiveCode?> FindCodeBySlugAsync(DbConnection connection, string slug)
    {
        var code = await connection.QuerySingleOrDefaultAsync<LiveCode>($"{CodeSelect} WHERE l.slug = @slug", new { slug });
        if (code is not null)
            code.Members = (await MembersAsync(connection, null, [code.Id])).GetValueOrDefault(code.Id) ?? [];
        return code;
    }

    private async Task<LiveCode?> FindCodeAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, Guid id)
    {
        var code = await connection.QuerySingleOrDefaultAsync<LiveCode>($"{CodeSelect} WHERE l.workspace_id = @workspaceId AND l.id = @id", new { workspaceId, id }, transaction);
        if (code is not null)
            code.Members = (await MembersAsync(connection, transaction, [id])).GetValueOrDefault(id) ?? [];
        return code;
    }

    private async Task<Dictionary<Guid, List<LiveCodeMember>>> MembersAsync(DbConnection connection, DbTransaction? transaction, List<Guid> codeIds)
    {
        if (codeIds.Count == 0)
            return [];
        var rows = await connection.QueryAsync<MemberRow>(
            $"""
            SELECT m.code_id, m.carrier_id, k.name AS carrier_name, k.kind AS carrier_kind,
                   CASE WHEN k.status = 'active' AND s.status = 'disabled' THEN 'disabled' ELSE k.status END AS carrier_status,
                   k.external_id, m.position, m.weight, m.daily_cap, m.capacity, m.regions, m.hours, m.contact_way_id,
                   COALESCE(m.contact_url, k.contact_url) AS contact_url,
                   (SELECT COUNT(*) FROM relationships r WHERE r.workspace_id = k.workspace_id AND r.carrier_id = k.id AND r.state = 'active') AS members
            FROM live_code_members m JOIN carriers k ON k.id = m.carrier_id LEFT JOIN staff s ON s.id = k.owner_staff_id
            WHERE m.code_id {(database.IsSqlite ? "IN (SELECT value FROM json_each(@ids))" : "= ANY(@ids)")}
            ORDER BY m.position
            """,
            new { ids = database.IsSqlite ? (object)JsonSerializer.Serialize(codeIds) : codeIds.ToArray() }, transaction);
        return rows.GroupBy(r => r.CodeId).ToDictionary(g => g.Key, g => g.Select(r => r.ToMember()).ToList());
    }

    private static async Task SaveMembersAsync(
        DbConnection connection, DbTransaction transaction, Guid codeId, List<CleanMember> members, Dictionary<Guid, LiveCodeMember>? kept = null)
    {
        var position = 0;
        foreach (var m in members)
        {
            var previous = kept?.GetValueOrDefault(m.CarrierId);
            await connection.ExecuteAsync(
                """
                INSERT INTO live_code_members (code_id, carrier_id, position, weight, daily_cap, capacity, regions, hours, contact_way_id, contact_url)
                VALUES (@codeId, @CarrierId, @position, @Weight, @DailyCap, @Capacity, @regions, @hours, @wayId, @wayUrl)
                """,
                new
                {
                    codeId, m.CarrierId, position = position++, m.Weight, m.DailyCap, m.Capacity, regions = JsonSerializer.Serialize(m.Regions),
                    hours = m.Hours is null ? null : JsonSerializer.Serialize(m.Hours, HoursJson),
                    wayId = previous?.ContactWayId, wayUrl = previous?.ContactWayId is null ? null : previous.ContactUrl,
                }, transaction);
        }
    }

    private static async Task<CleanCode> ValidateAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, LiveCodeInput input, LiveCode? existing)
    {
        if (input.ChannelId is not { } channelId)
            throw new ValidationFailedException("channelId is required: the channel this code credits adds to (GET /api/channels).", "channelId");
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM channels WHERE workspace_id = @workspaceId AND id = @channelId",
                new { workspaceId, channelId }, transaction) == 0)
            throw new ValidationFailedException($"No channel {channelId} in this workspace; take channelId from GET /api/channels.", "channelId");
        var kind = existing?.Kind ?? input.Kind?.Trim() ?? LiveCodeKinds.Staff;
        if (existing is not null && input.Kind is { } asked && asked.Trim() != existing.Kind)
            throw new ValidationFailedException($"A code's kind cannot change (it is {existing.Kind}); create a new code instead.", "kind");
        if (!LiveCodeKinds.All.Contains(kind))
            throw new ValidationFailedException($"kind must be one of {string.Join(", ", LiveCodeKinds.All)}.", "kind");
        var name = input.Name?.Trim() ?? "";
        if (name.Length is 0 or > 100)
            throw new ValidationFailedException("name is required: 1–100 characters, e.g. 包裹卡-11月.", "name");
        var strategy = input.Strategy?.Trim() ?? RoutingStrategies.RoundRobin;
        if (!RoutingStrategies.All.Contains(strategy))
            throw new ValidationFailedException($"strategy must be one of {string.Join(", ", RoutingStrategies.All)}.", "strategy");
        var status = input.Status?.Trim() ?? LiveCodeStatuses.Active;
        if (!LiveCodeStatuses.All.Contains(status))
            throw new ValidationFailedException($"status must be one of {string.Join(", ", LiveCodeStatuses.All)}.", "status");
        var welcome = Optional(input.WelcomeText, 1000, "welcomeText");
        var material = Optional(input.WelcomeMaterial, 500, "welcomeMaterial");
        if (material is not null && (!Uri.TryCreate(material, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw new ValidationFailedException("welcomeMaterial must be an http(s) link to the picture, page or mini-program card to send.", "welcomeMaterial");
        var coupon = Optional(input.WelcomeCoupon, 100, "welcomeCoupon");
        await Commerce.Coupons.CouponWelcome.CheckAsync(connection, transaction, workspaceId, coupon);

        var members = input.Members ?? [];
        if (members.Count is 0 or > MaxMembers)
            throw new ValidationFailedException(kind == LiveCodeKinds.Staff
                ? $"members must list 1–{MaxMembers} staff accounts (carrierId from GET /api/carriers?kind=wecom_account)."
                : $"members must list 1–{MaxMembers} groups (carrierId from GET /api/carriers?kind=group_chat).", "members");
        var ids = members.Select(m => m.CarrierId ?? throw new ValidationFailedException("Each member needs a carrierId.", "members")).ToList();
        if (ids.Distinct().Count() != ids.Count)
            throw new ValidationFailedException("A carrier is listed twice in members; list each account or group once.", "members");
        var kinds = (await connection.QueryAsync<IdAndKind>(
            "SELECT id, kind FROM carriers WHERE workspace_id = @workspaceId", new { workspaceId }, transaction)).ToDictionary(r => r.Id, r => r.Kind);
        var clean = new List<CleanMember>();
        foreach (var (m, i) in members.Select((m, i) => (m, i)))
        {
            var field = $"members[{i}]";
            if (!kinds.TryGetValue(m.CarrierId!.Value, out var carrierKind))
                throw new ValidationFailedException($"{field}: no carrier {m.CarrierId} in this workspace.", field);
            if (kind == LiveCodeKinds.Staff && !CarrierKinds.IsStaffAccount(carrierKind))
                throw new ValidationFailedException($"{field}: a channel live code routes to staff accounts (wecom_account or wechat_account), not {carrierKind}.", field);
            if (kind == LiveCodeKinds.Group && carrierKind != CarrierKinds.GroupChat)
                throw new ValidationFailedException($"{field}: a group live code lists group chats, not {carrierKind}.", field);
            var weight = m.Weight ?? 1;
            if (weight is < 1 or > 100)
                throw new ValidationFailedException($"{field}.weight is 1–100.", field);
            if (m.DailyCap is { } cap && cap is < 1 or > 10_000)
                throw new ValidationFailedException($"{field}.dailyCap is 1–10000 adds a day, or empty for no cap.", field);
            int? capacity = kind == LiveCodeKinds.Group ? m.Capacity ?? GroupRouter.DefaultCapacity : null;
            if (capacity is < 1 or > 2000)
                throw new ValidationFailedException($"{field}.capacity is 1–2000 members (WeChat groups admit 200 by QR code).", field);
            var regions = (m.Regions ?? []).Select(r => r?.Trim() ?? "").Where(r => r.Length > 0).Distinct().ToList();
            if (regions.Count > 50 || regions.Any(r => r.Length > 50))
                throw new ValidationFailedException($"{field}.regions lists at most 50 provinces or cities, each up to 50 characters.", field);
            clean.Add(new CleanMember(m.CarrierId.Value, weight, m.DailyCap, capacity, regions, CleanHours(m.Hours, field)));
        }

        return new CleanCode(channelId, kind, name, strategy, welcome, material, coupon, status, clean);
    }

    private static WorkingHoursInput? CleanHours(WorkingHoursInput? hours, string field)
    {
        if (hours is null)
            return null;
        if (!TimeOnly.TryParseExact(hours.From ?? "", "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            || !TimeOnly.TryParseExact(hours.To ?? "", "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            throw new ValidationFailedException($"{field}.hours needs from and to as HH:mm, e.g. 09:00 and 18:00 (to before from spans midnight).", field);
        var days = (hours.Days ?? [1, 2, 3, 4, 5, 6, 7]).Distinct().Order().ToList();
        if (days.Count == 0 || days.Any(d => d is < 1 or > 7))
            throw new ValidationFailedException($"{field}.hours.days are ISO weekdays 1 (Monday) to 7 (Sunday).", field);
        return new WorkingHoursInput { From = hours.From, To = hours.To, Days = days };
    }

    internal static WorkingHours? ToWorkingHours(WorkingHoursInput? hours) => hours is null ? null : new WorkingHours(
        TimeOnly.ParseExact(hours.From!, "HH:mm", CultureInfo.InvariantCulture),
        TimeOnly.ParseExact(hours.To!, "HH:mm", CultureInfo.InvariantCulture),
        (hours.Days ?? []).Select(d => (DayOfWeek)(d % 7)).ToHashSet());

    private static string NewSlug() => RandomNumberGenerator.GetString(SlugAlphabet, 8);

    /// <summary>WeCom limits State to 30 characters; the prefix keeps Pond's states apart from any the brand made by hand.</summary>
    internal static string StateOf(string slug) => "pond_" + slug;

    private static NotFoundException CodeNotFound(Guid id) => new($"No live code {id} in this workspace.");

    private static readonly JsonSerializerOptions HoursJson = new(JsonSerializerDefaults.Web);

    private sealed record CleanCode(
        Guid ChannelId, string Kind, string Name, string Strategy, string? WelcomeText, string? WelcomeMaterial, string? WelcomeCoupon, string Status,
        List<CleanMember> Members);

    private sealed class IdAndKind
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
    }

    private sealed record CleanMember(Guid CarrierId, int Weight, int? DailyCap, int? Capacity, List<string> Regions, WorkingHoursInput? Hours);

    internal sealed class MemberRow
    {
        public Guid CodeId { get; init; }
        public Guid CarrierId { get; init; }
        public string CarrierName { get; init; } = "";
        public string CarrierKind { get; init; } = "";
        public string CarrierStatus { get; init; } = "";
        public string? ExternalId { get; init; }
        public long Position { get; init; }
        public long Weight { get; init; }
        public long? DailyCap { get; init; }
        public long? Capacity { get; init; }
        public string Regions { get; init; } = "[]";
        public string? Hours { get; init; }
        public string? ContactWayId { get; init; }
        public string? ContactUrl { get; init; }
        public long Members { get; init; }

        public LiveCodeMember ToMember() => new()
        {
            CarrierId = CarrierId, CarrierName = CarrierName, CarrierKind = CarrierKind, CarrierStatus = CarrierStatus, ExternalId = ExternalId,
            Position = (int)Position, Weight = (int)Weight, DailyCap = (int?)DailyCap, Capacity = (int?)Capacity,
            Regions = JsonSerializer.Deserialize<List<string>>(Regions) ?? [],
            Hours = Hours is null ? null : JsonSerializer.Deserialize<WorkingHoursInput>(Hours, HoursJson),
            ContactWayId = ContactWayId, ContactUrl = ContactUrl, Members = (int)Members,
        };
    }

    // ---- brand logo -------------------------------------------------------------------------

    public const int MaxPngLogoBytes = 256 * 1024;

    public async Task<byte[]?> PngLogoAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<byte[]?>("SELECT logo_png FROM workspaces WHERE id = @workspaceId", new { workspaceId });
    }

    /// <summary>A PNG logo for PNG QR images (8-bit, not interlaced, at most 256 KB); null removes it.</summary>
    public async Task SetPngLogoAsync(Guid workspaceId, byte[]? png, string actor)
    {
        if (png is not null)
        {
            if (png.Length > MaxPngLogoBytes)
                throw new ValidationFailedException($"The PNG logo is at most {MaxPngLogoBytes / 1024} KB; export it smaller (a few hundred pixels is plenty).", "logo");
            var image = PngImage.Decode(png); // refuses what cannot be drawn, with the reason
            if (image.Width > 1024 || image.Height > 1024)
                throw new ValidationFailedException("The PNG logo is at most 1024×1024 pixels.", "logo");
        }

        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync("UPDATE workspaces SET logo_png = @png WHERE id = @workspaceId", new { workspaceId, png });
        await audit.RecordAsync(workspaceId, actor, png is null ? "brand.logo_png.remove" : "brand.logo_png.set", null, null);
    }

    public async Task<string?> LogoAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<string?>("SELECT logo_svg FROM workspaces WHERE id = @workspaceId", new { workspaceId });
    }

    /// <summary>An SVG logo for QR images; null removes it. Scripts and external references are refused, since the SVG is served back.</summary>
    public async Task SetLogoAsync(Guid workspaceId, string? svg, string actor)
    {
        if (svg is not null)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(svg) > MaxLogoBytes)
                throw new ValidationFailedException($"The logo is at most {MaxLogoBytes / 1024} KB of SVG; simplify it or export it smaller.", "logo");
            XElement root;
            try
            {
                var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
                using var reader = XmlReader.Create(new StringReader(svg), settings);
                root = XElement.Load(reader);
            }
            catch (XmlException)
            {
                throw new ValidationFailedException("The logo must be an SVG document (XML with an <svg> root).", "logo");
            }

            if (root.Name.LocalName != "svg")
                throw new ValidationFailedException("The logo must be an SVG document (XML with an <svg> root).", "logo");
            if (root.DescendantsAndSelf().Any(e => e.Name.LocalName is "script" or "foreignObject"
                    || e.Attributes().Any(a => a.Name.LocalName.StartsWith("on", StringComparison.OrdinalIgnoreCase)
                                               || (a.Name.LocalName == "href" && !a.Value.StartsWith("data:image/", StringComparison.Ordinal) && !a.Value.StartsWith('#')))))
                throw new ValidationFailedException("The logo SVG may not contain scripts, event handlers or links to other files.", "logo");
        }

        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync("UPDATE workspaces SET logo_svg = @svg WHERE id = @workspaceId", new { workspaceId, svg });
        await audit.RecordAsync(workspaceId, actor, svg is null ? "brand.logo.remove" : "brand.logo.set", null, null);
    }
}

/// <summary>Days are stored as yyyymmdd numbers in the workspace's zone.</summary>
internal static class Days
{
    public static int ToNumber(DateOnly day) => Analytics.InsightDays.Key(day);

    public static DateOnly FromNumber(int number) => Analytics.InsightDays.FromKey(number);

    public static DateOnly Local(DateTimeOffset at, TimeZoneInfo zone) => Analytics.InsightDays.Of(at, zone);

    /// <summary>The UTC instant a local day starts.</summary>
    public static DateTimeOffset Start(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
