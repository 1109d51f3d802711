using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Pond.Messaging;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Sop;

/// <summary>
/// SOP plans and their entries, and the tags on group chats that group plans select by. Every write is validated (the
/// message says what to fix), bound to one workspace and audited.
/// </summary>
internal sealed class SopPlans(Database database, AuditLog audit, TimeProvider clock)
{
    public const int MaxEntries = 50;
    public const int MaxTextLength = 2000;
    private const int MaxNameLength = 100;

    private const string PlanSelect =
        """
        SELECT id, workspace_id, kind, name, status, starts_at, ends_at, group_tags AS group_tag_json, staff_ids AS staff_id_json, wecom_tasks, swept_through,
               created_by, created_at, updated_at
        FROM sop_plans
        """;

    public async Task<IReadOnlyList<SopPlan>> ListAsync(Guid workspaceId, string? kind = null)
    {
        if (kind is not null && !SopKinds.All.Contains(kind))
            throw new ValidationFailedException($"Unknown SOP kind '{kind}'; use one of {string.Join(", ", SopKinds.All)}.", "kind");
        await using var connection = await database.OpenAsync();
        var plans = (await connection.QueryAsync<PlanRow>(
            $"{PlanSelect} WHERE workspace_id = @workspaceId{(kind is null ? "" : " AND kind = @kind")} ORDER BY created_at DESC, id", new { workspaceId, kind }))
            .Select(r => r.ToPlan()).ToList();
        await LoadEntriesAsync(connection, plans);
        return plans;
    }

    public async Task<SopPlan> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await FindAsync(connection, workspaceId, id) ?? throw NotFound(id);
    }

    /// <summary>Every active plan of every workspace with its entries and the workspace's zone (the engine's work list).</summary>
    internal static async Task<IReadOnlyList<SopPlan>> LoadAsync(DbConnection connection, DbTransaction? transaction, Guid? planId = null, Guid? workspaceId = null)
    {
        var plans = (await connection.QueryAsync<PlanRow>(
            $"{PlanSelect} WHERE 1 = 1{(planId is null ? "" : " AND id = @planId")}{(workspaceId is null ? "" : " AND workspace_id = @workspaceId")}",
            new { planId, workspaceId }, transaction)).Select(r => r.ToPlan()).ToList();
        await LoadEntriesAsync(connection, plans, transaction);
        return plans;
    }

    public async Task<SopPlan> CreateAsync(Guid workspaceId, SopPlanInput input, string actor)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var clean = await ValidateAsync(connection, transaction, workspaceId, input, null);
        var id = Guid.CreateVersion7();
        await connection.ExecuteAsync(
            """
            INSERT INTO sop_plans (id, workspace_id, kind, name, status, starts_at, ends_at, group_tags, staff_ids, wecom_tasks, swept_through, created_by, created_at, updated_at)
            VALUES (@id, @workspaceId, @Kind, @Name, @Status, @StartsAt, @EndsAt, @groupTags, @staffIds, @WecomTasks, @now, @actor, @now, @now)
            """,
            new
            {
                id, workspaceId, clean.Kind, clean.Name, clean.Status, StartsAt = clean.StartsAt ?? now, clean.EndsAt, groupTags = Json(clean.GroupTags),
                staffIds = Json(clean.StaffIds), clean.WecomTasks, now, actor,
            }, transaction);
        await WriteEntriesAsync(connection, transaction, id, clean.Entries, []);
        await audit.RecordAsync(workspaceId, actor, "sop.create", id.ToString(), new { clean.Kind, clean.Name, clean.Status, entries = clean.Entries.Count }, connection, transaction);
        await transaction.CommitAsync();
        return (await FindAsync(connection, workspaceId, id))!;
    }

    /// <summary>Replaces a plan. Entries sent with their id keep it, so what they already created today is not created again.</summary>
    public async Task<SopPlan> UpdateAsync(Guid workspaceId, Guid id, SopPlanInput input, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var before = await FindAsync(connection, workspaceId, id, transaction) ?? throw NotFound(id);
        var clean = await ValidateAsync(connection, transaction, workspaceId, input, before);
        var now = clock.GetUtcNow();
        // A paused plan that resumes starts from now: what it would have done while paused is not done late.
        var resumes = before.Status == SopStatuses.Paused && clean.Status == SopStatuses.Active;
        await connection.ExecuteAsync(
            $"""
            UPDATE sop_plans SET name = @Name, status = @Status, starts_at = @StartsAt, ends_at = @EndsAt, group_tags = @groupTags, staff_ids = @staffIds,
                wecom_tasks = @WecomTasks, updated_at = @now{(resumes ? ", swept_through = @now" : "")}
            WHERE workspace_id = @workspaceId AND id = @id
            """,
            new
            {
                id, workspaceId, clean.Name, clean.Status, StartsAt = clean.StartsAt ?? before.StartsAt, clean.EndsAt, groupTags = Json(clean.GroupTags),
                staffIds = Json(clean.StaffIds), clean.WecomTasks, now,
            }, transaction);
        await WriteEntriesAsync(connection, transaction, id, clean.Entries, before.Entries.Select(e => e.Id).ToHashSet());
        await audit.RecordAsync(workspaceId, actor, "sop.update", id.ToString(), new { clean.Name, clean.Status, entries = clean.Entries.Count }, connection, transaction);
        await transaction.CommitAsync();
        return (await FindAsync(connection, workspaceId, id))!;
    }

    public async Task<SopPlan> SetStatusAsync(Guid workspaceId, Guid id, string status, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var now = clock.GetUtcNow();
        var changed = await connection.ExecuteAsync(
            $"""
            UPDATE sop_plans SET status = @status, updated_at = @now{(status == SopStatuses.Active ? ", swept_through = @now" : "")}
            WHERE workspace_id = @workspaceId AND id = @id AND status <> @status
            """, new { workspaceId, id, status, now }, transaction);
        if (changed == 0 && await FindAsync(connection, workspaceId, id, transaction) is null)
            throw NotFound(id);
        if (changed > 0)
            await audit.RecordAsync(workspaceId, actor, status == SopStatuses.Active ? "sop.resume" : "sop.pause", id.ToString(), null, connection, transaction);
        await transaction.CommitAsync();
        return (await FindAsync(connection, workspaceId, id))!;
    }

    /// <summary>Deletes a plan; the tasks it created stay (they are someone's history and count in completion rates).</summary>
    public async Task DeleteAsync(Guid workspaceId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var plan = await FindAsync(connection, workspaceId, id, transaction) ?? throw NotFound(id);
        await connection.ExecuteAsync("DELETE FROM sop_entries WHERE plan_id = @id", new { id }, transaction);
        await connection.ExecuteAsync("DELETE FROM sop_plans WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
        await audit.RecordAsync(workspaceId, actor, "sop.delete", id.ToString(), new { plan.Kind, plan.Name }, connection, transaction);
        await transaction.CommitAsync();
    }

    // ---- group chats and their tags -------------------------------------------------------

    public async Task<IReadOnlyList<SopGroup>> GroupsAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return await GroupsAsync(connection, null, workspaceId);
    }

    internal static async Task<IReadOnlyList<SopGroup>> GroupsAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId)
    {
        var groups = (await connection.QueryAsync<SopGroup>(
            """
            SELECT k.id, k.name, k.external_id, k.status, k.owner_staff_id, s.name AS owner_staff_name, s.wecom_user_id AS owner_wecom_user_id
            FROM carriers k LEFT JOIN staff s ON s.id = k.owner_staff_id
            WHERE k.workspace_id = @workspaceId AND k.kind = 'group_chat'
            ORDER BY k.name, k.id
            """, new { workspaceId }, transaction)).AsList();
        var tags = (await connection.QueryAsync<CarrierTag>(
            "SELECT carrier_id, tag FROM carrier_tags WHERE workspace_id = @workspaceId ORDER BY tag", new { workspaceId }, transaction)).ToLookup(t => t.CarrierId, t => t.Tag);
        foreach (var group in groups)
            group.Tags = tags[group.Id].ToList();
        return groups;
    }

    private sealed class CarrierTag
    {
        public Guid CarrierId { get; init; }
        public string Tag { get; init; } = "";
    }

    /// <summary>Replaces a group chat's tags.</summary>
    public async Task<SopGroup> SetGroupTagsAsync(Guid workspaceId, Guid carrierId, IReadOnlyList<string>? tags, string actor)
    {
        var clean = CleanTags(tags, "tags", allowEmpty: true);
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var kind = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT kind FROM carriers WHERE workspace_id = @workspaceId AND id = @carrierId", new { workspaceId, carrierId }, transaction)
            ?? throw new NotFoundException($"No carrier {carrierId} in this workspace.");
        if (kind != Customers.CarrierKinds.GroupChat)
            throw new ValidationFailedException($"Carrier {carrierId} is a {kind}; only group chats carry SOP group tags.", "carrierId");
        await connection.ExecuteAsync("DELETE FROM carrier_tags WHERE carrier_id = @carrierId", new { carrierId }, transaction);
        var now = clock.GetUtcNow();
        foreach (var tag in clean)
            await connection.ExecuteAsync("INSERT INTO carrier_tags (workspace_id, carrier_id, tag, created_at) VALUES (@workspaceId, @carrierId, @tag, @now)",
                new { workspaceId, carrierId, tag, now }, transaction);
        await audit.RecordAsync(workspaceId, actor, "carrier.tags", carrierId.ToString(), new { tags = clean }, connection, transaction);
        await transaction.CommitAsync();
        return (await GroupsAsync(connection, null, workspaceId)).Single(g => g.Id == carrierId);
    }

    // ---- storage ------------------------------------------------------------------------------

    private static async Task<SopPlan?> FindAsync(DbConnection connection, Guid workspaceId, Guid id, DbTransaction? transaction = null)
    {
        var row = await connection.QuerySingleOrDefaultAsync<PlanRow>($"{PlanSelect} WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
        if (row is null)
            return null;
        var plan = row.ToPlan();
        await LoadEntriesAsync(connection, [plan], transaction);
        return plan;
    }

    private static async Task LoadEntriesAsync(DbConnection connection, List<SopPlan> plans, DbTransaction? transaction = null)
    {
        if (plans.Count == 0)
            return;
        var ids = plans.Select(p => p.Id).ToHashSet();
        var rows = (await connection.QueryAsync<EntryRow>(
            "SELECT e.id, e.plan_id, e.position, e.minute_of_day, e.weekdays, e.day_offset, e.title, e.text, e.content_id, e.variations " +
            "FROM sop_entries e JOIN sop_plans p ON p.id = e.plan_id"
            + (plans.Count == 1 ? " WHERE e.plan_id = @id" : plans.All(p => p.WorkspaceId == plans[0].WorkspaceId) ? " WHERE p.workspace_id = @workspaceId" : "")
            + " ORDER BY e.position",
            new { id = plans[0].Id, workspaceId = plans[0].WorkspaceId }, transaction)).Where(r => ids.Contains(r.PlanId)).ToLookup(r => r.PlanId);
        foreach (var plan in plans)
            plan.Entries = rows[plan.Id].Select(r => r.ToEntry()).ToList();
    }

    private static async Task WriteEntriesAsync(DbConnection connection, DbTransaction transaction, Guid planId, IReadOnlyList<CleanEntry> entries, HashSet<Guid> existing)
    {
        await connection.ExecuteAsync("DELETE FROM sop_entries WHERE plan_id = @planId", new { planId }, transaction);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            await connection.ExecuteAsync(
                """
                INSERT INTO sop_entries (id, plan_id, position, minute_of_day, weekdays, day_offset, title, text, content_id, variations)
                VALUES (@id, @planId, @position, @MinuteOfDay, @Weekdays, @DayOffset, @Title, @Text, @ContentId, @variations)
                """,
                new
                {
                    id = e.Id is { } kept && existing.Contains(kept) ? kept : Guid.CreateVersion7(), planId, position = i, e.MinuteOfDay, e.Weekdays, e.DayOffset,
                    e.Title, e.Text, e.ContentId, variations = JsonSerializer.Serialize(e.Variations.ToDictionary(v => v.Key.ToString(), v => v.Value)),
                }, transaction);
        }
    }

    private static string Json<T>(IReadOnlyList<T> values) => JsonSerializer.Serialize(values);

    private static NotFoundException NotFound(Guid id) => new($"No SOP plan {id} in this workspace.");

    // ---- validation ---------------------------------------------------------------------------

    private sealed record CleanPlan(
        string Kind, string Name, string Status, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, IReadOnlyList<string> GroupTags, IReadOnlyList<Guid> StaffIds,
        bool WecomTasks, IReadOnlyList<CleanEntry> Entries);

    private sealed record CleanEntry(Guid? Id, int MinuteOfDay, int Weekdays, int DayOffset, string Title, string? Text, Guid? ContentId, IReadOnlyDictionary<Guid, string> Variations);

    private static async Task<CleanPlan> ValidateAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, SopPlanInput input, SopPlan? before)
    {
        var kind = input.Kind?.Trim().ToLowerInvariant() ?? before?.Kind;
        if (kind is null || !SopKinds.All.Contains(kind))
            throw new ValidationFailedException($"An SOP plan needs a kind: one of {string.Join(", ", SopKinds.All)}.", "kind");
        if (before is not null && before.Kind != kind)
            throw new ValidationFailedException($"A plan's kind cannot change (it is {before.Kind}); create a new plan instead.", "kind");
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
            throw new ValidationFailedException($"A plan needs a name of 1–{MaxNameLength} characters, e.g. '宝妈群每日 SOP'.", "name");
        var status = input.Status?.Trim().ToLowerInvariant() ?? before?.Status ?? SopStatuses.Active;
        if (!SopStatuses.All.Contains(status))
            throw new ValidationFailedException($"Unknown status '{input.Status}'; use active or paused.", "status");
        if (input.StartsAt is { } s && input.EndsAt is { } e && e <= s)
            throw new ValidationFailedException("endsAt must be after startsAt.", "endsAt");

        var tags = kind == SopKinds.Group ? CleanTags(input.GroupTags, "groupTags", allowEmpty: false) : [];
        var staff = (input.StaffIds ?? []).Distinct().ToList();
        if (kind == SopKinds.Moments && staff.Count == 0)
            throw new ValidationFailedException("A moments plan names the staff accounts that post: staffIds from GET /api/staff.", "staffIds");
        if (kind == SopKinds.Group && staff.Count > 0)
            throw new ValidationFailedException("A group plan reaches groups by their tags; leave staffIds out (each group's owner gets the task).", "staffIds");
        if (staff.Count > 0)
        {
            var known = (await connection.QueryAsync<Guid>("SELECT id FROM staff WHERE workspace_id = @workspaceId", new { workspaceId }, transaction)).ToHashSet();
            if (staff.FirstOrDefault(id => !known.Contains(id)) is var missing && missing != Guid.Empty)
                throw new ValidationFailedException($"No staff member {missing} in this workspace; take staffIds from GET /api/staff.", "staffIds");
        }

        var entries = input.Entries ?? [];
        if (entries.Count == 0)
            throw new ValidationFailedException("A plan needs at least one entry: a time and a text or content item.", "entries");
        if (entries.Count > MaxEntries)
            throw new ValidationFailedException($"A plan has at most {MaxEntries} entries.", "entries");
        var clean = new List<CleanEntry>();
        for (var i = 0; i < entries.Count; i++)
            clean.Add(await ValidateEntryAsync(connection, transaction, workspaceId, kind, staff, entries[i], $"entries[{i}]"));
        return new CleanPlan(kind, name, status, input.StartsAt, input.EndsAt, tags, staff, input.WecomTasks ?? before?.WecomTasks ?? true, clean);
    }

    private static async Task<CleanEntry> ValidateEntryAsync(
        DbConnection connection, DbTransaction transaction, Guid workspaceId, string kind, IReadOnlyList<Guid> staff, SopEntryInput entry, string field)
    {
        if (entry.Time is null || !TimeOnly.TryParseExact(entry.Time.Trim(), ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            throw new ValidationFailedException($"{field}.time: '{entry.Time}' is not a time of day; use HH:mm, e.g. 08:00.", $"{field}.time");
        var weekdays = entry.Weekdays ?? [];
        if (weekdays.Any(d => d is < 1 or > 7))
            throw new ValidationFailedException($"{field}.weekdays: use 1 (Monday) … 7 (Sunday), or leave it empty for every day.", $"{field}.weekdays");
        if (kind == SopKinds.Customer && weekdays.Count > 0)
            throw new ValidationFailedException($"{field}.weekdays: a customer plan counts days after adding (dayOffset), not weekdays.", $"{field}.weekdays");
        var offset = entry.DayOffset ?? 0;
        if (kind == SopKinds.Customer && offset is < 0 or > 365)
            throw new ValidationFailedException($"{field}.dayOffset: days after the customer added, 0–365.", $"{field}.dayOffset");
        if (kind != SopKinds.Customer && offset != 0)
            throw new ValidationFailedException($"{field}.dayOffset belongs to customer plans; a {kind} plan fires on weekdays.", $"{field}.dayOffset");
        var text = string.IsNullOrWhiteSpace(entry.Text) ? null : entry.Text.Trim();
        if (text is { Length: > MaxTextLength })
            throw new ValidationFailedException($"{field}.text is at most {MaxTextLength} characters.", $"{field}.text");
        if (MessageVariables.Unknown(text) is { Count: > 0 } unknown)
            throw new ValidationFailedException(
                $"{field}.text uses unknown variable(s) {string.Join(", ", unknown.Select(v => "{" + v + "}"))}; known: {string.Join(", ", MessageVariables.All.Select(v => "{" + v + "}"))}, {{trait.KEY}}.",
                $"{field}.text");
        if (entry.ContentId is { } contentId)
        {
            var found = await connection.QuerySingleOrDefaultAsync<ContentRow>(
                "SELECT title, archived FROM content_items WHERE workspace_id = @workspaceId AND id = @contentId", new { workspaceId, contentId }, transaction)
                ?? throw new ValidationFailedException($"{field}.contentId: no content item {contentId} in this workspace's content library.", $"{field}.contentId");
            if (found.Archived)
                throw new ValidationFailedException($"{field}.contentId: '{found.Title}' is archived; pick a live content item.", $"{field}.contentId");
        }

        if (text is null && entry.ContentId is null)
            throw new ValidationFailedException($"{field}: an entry needs a text, a content item (contentId), or both.", $"{field}.text");
        var variations = new Dictionary<Guid, string>();
        foreach (var (staffId, variation) in entry.Variations ?? new Dictionary<Guid, string>())
        {
            if (kind != SopKinds.Moments)
                throw new ValidationFailedException($"{field}.variations are per staff account texts of moments plans.", $"{field}.variations");
            if (!staff.Contains(staffId))
                throw new ValidationFailedException($"{field}.variations: staff {staffId} is not one of the plan's staffIds.", $"{field}.variations");
            if (string.IsNullOrWhiteSpace(variation))
                continue;
            if (variation.Trim().Length > MaxTextLength)
                throw new ValidationFailedException($"{field}.variations: a text is at most {MaxTextLength} characters.", $"{field}.variations");
            variations[staffId] = variation.Trim();
        }

        var title = string.IsNullOrWhiteSpace(entry.Title) ? DefaultTitle(text, time) : entry.Title.Trim();
        if (title.Length > MaxNameLength)
            throw new ValidationFailedException($"{field}.title is at most {MaxNameLength} characters.", $"{field}.title");
        return new CleanEntry(entry.Id, time.Hour * 60 + time.Minute, SopSchedule.MaskOf(weekdays), kind == SopKinds.Customer ? offset : 0, title, text, entry.ContentId, variations);
    }

    /// <summary>The text's start without its {variables}, so a title never shows a placeholder.</summary>
    private static string DefaultTitle(string? text, TimeOnly time)
    {
        var plain = MessageVariables.Render(text, _ => "").TrimStart(' ', '，', ',', '!', '！');
        return plain.Length == 0 ? time.ToString("HH:mm", CultureInfo.InvariantCulture) : plain.Length <= 30 ? plain : plain[..30] + "…";
    }

    private static List<string> CleanTags(IReadOnlyList<string>? tags, string field, bool allowEmpty)
    {
        var clean = (tags ?? []).Select(t => t?.Trim() ?? "").Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (!allowEmpty && clean.Count == 0)
            throw new ValidationFailedException("A group plan names the group tags it serves, e.g. [\"宝妈群\"]; tag groups with PUT /api/sop/groups/{id}/tags.", field);
        if (clean.Any(t => t.Length > 50) || clean.Count > 20)
            throw new ValidationFailedException("At most 20 tags of at most 50 characters each.", field);
        return clean;
    }

    private sealed class ContentRow
    {
        public string Title { get; init; } = "";
        public bool Archived { get; init; }
    }

    private sealed class PlanRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public string Kind { get; init; } = "";
        public string Name { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset StartsAt { get; init; }
        public DateTimeOffset? EndsAt { get; init; }
        public string GroupTagJson { get; init; } = "[]";
        public string StaffIdJson { get; init; } = "[]";
        public bool WecomTasks { get; init; }
        public DateTimeOffset SweptThrough { get; init; }
        public string? CreatedBy { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public SopPlan ToPlan() => new()
        {
            Id = Id, WorkspaceId = WorkspaceId, Kind = Kind, Name = Name, Status = Status, StartsAt = StartsAt, EndsAt = EndsAt,
            GroupTags = JsonSerializer.Deserialize<List<string>>(GroupTagJson) ?? [], StaffIds = JsonSerializer.Deserialize<List<Guid>>(StaffIdJson) ?? [],
            WecomTasks = WecomTasks, SweptThrough = SweptThrough, CreatedBy = CreatedBy, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }

    private sealed class EntryRow
    {
        public Guid Id { get; init; }
        public Guid PlanId { get; init; }
        public int Position { get; init; }
        public int MinuteOfDay { get; init; }
        public int Weekdays { get; init; }
        public int DayOffset { get; init; }
        public string Title { get; init; } = "";
        public string? Text { get; init; }
        public Guid? ContentId { get; init; }
        public string Variations { get; init; } = "{}";

        public SopEntry ToEntry() => new()
        {
            Id = Id, PlanId = PlanId, Position = Position, MinuteOfDay = MinuteOfDay, Weekdays = Weekdays, DayOffset = DayOffset, Title = Title, Text = Text,
            ContentId = ContentId,
            Variations = (JsonSerializer.Deserialize<Dictionary<string, string>>(Variations) ?? []).ToDictionary(v => Guid.Parse(v.Key), v => v.Value),
        };
    }
}

/// <summary>One row of the SOP calendar: an entry firing at a time, for the groups, staff accounts or customers listed.</summary>
internal sealed record SopCalendarItem(Guid PlanId, string PlanName, string Kind, Guid EntryId, string Title, DateTimeOffset At, string LocalTime, DateOnly LocalDate,
    IReadOnlyList<string> Targets, IReadOnlyList<string> Staff);

internal static class SopCalendar
{
    /// <summary>What active plans fire in the 7 local days from <paramref name="weekStart"/>: calendars by weekday, customer plans by who added when.</summary>
    public static async Task<IReadOnlyList<SopCalendarItem>> WeekAsync(Database database, Guid workspaceId, DateOnly weekStart)
    {
        await using var connection = await database.OpenAsync();
        var zone = await SopEngine.ZoneAsync(connection, null, workspaceId);
        var from = SopSchedule.At(weekStart, 0, zone);
        var until = SopSchedule.At(weekStart.AddDays(7), 0, zone).AddTicks(-1);
        var items = new List<SopCalendarItem>();
        foreach (var plan in (await SopPlans.LoadAsync(connection, null, workspaceId: workspaceId)).Where(p => p.Status == SopStatuses.Active))
        {
            var occurrences = await SopOccurrences.ForPlanAsync(connection, null, plan, zone, from.AddTicks(-1), until);
            items.AddRange(occurrences.GroupBy(o => (o.EntryId, o.At)).Select(g =>
            {
                var first = g.First();
                var local = TimeZoneInfo.ConvertTime(first.At, zone);
                return new SopCalendarItem(plan.Id, plan.Name, plan.Kind, first.EntryId, first.EntryTitle, first.At,
                    local.ToString("HH:mm", CultureInfo.InvariantCulture), DateOnly.FromDateTime(local.DateTime),
                    g.Select(o => o.GroupName ?? o.CustomerName ?? o.StaffName ?? "").Distinct().ToList(),
                    g.Select(o => o.StaffName ?? "").Where(s => s.Length > 0).Distinct().ToList());
            }));
        }

        return items.OrderBy(i => i.At).ThenBy(i => i.PlanName, StringComparer.Ordinal).ToList();
    }
}

/// <summary>A content item the plan editor offers (content_items, the content library).</summary>
internal sealed class SopContentChoice
{
    public Guid Id { get; init; }
    public string Title { get; init; } = "";
    public string Kind { get; init; } = "";

    public static async Task<IReadOnlyList<SopContentChoice>> ListAsync(Database database, Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<SopContentChoice>(
            "SELECT id, title, kind FROM content_items WHERE workspace_id = @workspaceId AND archived = @no ORDER BY updated_at DESC, id LIMIT 500",
            new { workspaceId, no = false })).AsList();
    }
}
