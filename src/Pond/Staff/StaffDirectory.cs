using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Pond.Customers;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Staff;

/// <summary>
/// Staff members and the carrier accounts they hold. Every write is validated (the message says what to fix),
/// bound to one workspace, and audited.
/// </summary>
internal sealed partial class StaffDirectory(Database database, AuditLog audit, TimeProvider clock)
{
    private const int MaxNameLength = 100;
    private const int MaxExternalIdLength = 200;

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+?[0-9][0-9 \-]{4,19}$")]
    private static partial Regex PhonePattern();

    // ---- staff ------------------------------------------------------------------------------

    private const string StaffSelect =
        """
        SELECT s.id, s.name, s.email, s.phone, s.wecom_user_id, s.tracking_code, s.status, s.created_at, s.updated_at,
               (SELECT COUNT(*) FROM carriers k WHERE k.owner_staff_id = s.id) AS carriers,
               (SELECT COUNT(*) FROM customers c WHERE c.workspace_id = s.workspace_id AND c.owner_staff_id = s.id) AS customers
        FROM staff s
        """;

    public async Task<IReadOnlyList<StaffMember>> ListStaffAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<StaffMember>($"{StaffSelect} WHERE s.workspace_id = @workspaceId ORDER BY s.name, s.id", new { workspaceId });
        return rows.AsList();
    }

    public async Task<StaffMember> GetStaffAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await FindStaffAsync(connection, workspaceId, id) ?? throw StaffNotFound(id);
    }

    public async Task<StaffMember> CreateStaffAsync(Guid workspaceId, StaffInput input, string actor)
    {
        var clean = Validate(input);
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await RequireUniqueWecomUserIdAsync(connection, transaction, workspaceId, clean.WecomUserId, null);
        await RequireUniqueTrackingCodeAsync(connection, transaction, workspaceId, clean.TrackingCode, null);
        await connection.ExecuteAsync(
            """
            INSERT INTO staff (id, workspace_id, name, email, phone, wecom_user_id, tracking_code, status, created_at, updated_at)
            VALUES (@id, @workspaceId, @Name, @Email, @Phone, @WecomUserId, @trackingCode, @Status, @now, @now)
            """,
            new { id, workspaceId, clean.Name, clean.Email, clean.Phone, clean.WecomUserId, trackingCode = clean.TrackingCode ?? NewTrackingCode(), clean.Status, now },
            transaction);
        await audit.RecordAsync(workspaceId, actor, "staff.create", id.ToString(), new { clean.Name, clean.Status }, connection, transaction);
        await transaction.CommitAsync();
        return (await FindStaffAsync(connection, workspaceId, id))!;
    }

    public async Task<StaffMember> UpdateStaffAsync(Guid workspaceId, Guid id, StaffInput input, string actor)
    {
        var clean = Validate(input);
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await RequireUniqueWecomUserIdAsync(connection, transaction, workspaceId, clean.WecomUserId, id);
        await RequireUniqueTrackingCodeAsync(connection, transaction, workspaceId, clean.TrackingCode, id);
        var changed = await connection.ExecuteAsync(
            """
            UPDATE staff SET name = @Name, email = @Email, phone = @Phone, wecom_user_id = @WecomUserId, status = @Status, updated_at = @now,
                tracking_code = COALESCE(@TrackingCode, tracking_code, @generated)
            WHERE workspace_id = @workspaceId AND id = @id
            """,
            new
            {
                id, workspaceId, clean.Name, clean.Email, clean.Phone, clean.WecomUserId, clean.Status, clean.TrackingCode, generated = NewTrackingCode(),
                now = clock.GetUtcNow(),
            }, transaction);
        if (changed == 0)
            throw StaffNotFound(id);
        await audit.RecordAsync(workspaceId, actor, "staff.update", id.ToString(), new { clean.Name, clean.Status }, connection, transaction);
        await transaction.CommitAsync();
        return (await FindStaffAsync(connection, workspaceId, id))!;
    }

    /// <summary>
    /// Deletes a staff member who holds nothing. Someone who still holds accounts or customers is disabled instead
    /// (or their accounts handed over first), so no customer loses their owner by accident.
    /// </summary>
    public async Task DeleteStaffAsync(Guid workspaceId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var staff = await FindStaffAsync(connection, workspaceId, id, transaction) ?? throw StaffNotFound(id);
        if (staff.Carriers > 0 || staff.Customers > 0)
            throw new ConflictException(
                $"{staff.Name} still holds {staff.Carriers} carrier account(s) and owns {staff.Customers} customer(s); hand the accounts to someone else or set status 'disabled' instead.");
        await connection.ExecuteAsync("DELETE FROM staff WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
        await audit.RecordAsync(workspaceId, actor, "staff.delete", id.ToString(), new { staff.Name }, connection, transaction);
        await transaction.CommitAsync();
    }

    private static async Task<StaffMember?> FindStaffAsync(DbConnection connection, Guid workspaceId, Guid id, DbTransaction? transaction = null) =>
        await connection.QuerySingleOrDefaultAsync<StaffMember>($"{StaffSelect} WHERE s.workspace_id = @workspaceId AND s.id = @id", new { workspaceId, id }, transaction);

    private static async Task RequireUniqueWecomUserIdAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, string? wecomUserId, Guid? except)
    {
        if (wecomUserId is null)
            return;
        // Optional filters are added as SQL text: PostgreSQL cannot type a null parameter in "@x IS NULL".
        var taken = await connection.QueryFirstOrDefaultAsync<string?>(
            "SELECT name FROM staff WHERE workspace_id = @workspaceId AND wecom_user_id = @wecomUserId" + (except is null ? "" : " AND id <> @except"),
            new { workspaceId, wecomUserId, except }, transaction);
        if (taken is not null)
            throw new ConflictException($"WeCom user id '{wecomUserId}' already belongs to {taken}; each staff member has their own.");
    }

    private static async Task RequireUniqueTrackingCodeAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, string? code, Guid? except)
    {
        if (code is null)
            return;
        var taken = await connection.QueryFirstOrDefaultAsync<string?>(
            "SELECT name FROM staff WHERE workspace_id = @workspaceId AND tracking_code = @code" + (except is null ? "" : " AND id <> @except"),
            new { workspaceId, code, except }, transaction);
        if (taken is not null)
            throw new ConflictException($"Tracking code '{code}' already belongs to {taken}; each staff member has their own.");
    }

    /// <summary>Short, unambiguous and unguessable enough that one guide cannot claim another's sales by editing a link.</summary>
    private static string NewTrackingCode()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        return "s" + string.Create(7, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    private static NotFoundException StaffNotFound(Guid id) => new($"No staff member {id} in this workspace.");

    private sealed record CleanStaff(string Name, string? Email, string? Phone, string? WecomUserId, string? TrackingCode, string Status);

    private static CleanStaff Validate(StaffInput input)
    {
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
            throw new ValidationFailedException($"A staff member needs a name of 1–{MaxNameLength} characters.", "name");
        var email = Blank(input.Email)?.ToLowerInvariant();
        if (email is not null && !EmailPattern().IsMatch(email))
            throw new ValidationFailedException($"'{email}' is not an email address; leave email out if there is none.", "email");
        var phone = Blank(input.Phone);
        if (phone is not null && !PhonePattern().IsMatch(phone))
            throw new ValidationFailedException($"'{phone}' is not a phone number; use digits, e.g. 13812345678 or +8613812345678.", "phone");
        var status = Blank(input.Status)?.ToLowerInvariant() ?? StaffStatuses.Active;
        if (!StaffStatuses.All.Contains(status))
            throw new ValidationFailedException($"Unknown staff status '{input.Status}'; use one of {string.Join(", ", StaffStatuses.All)}.", "status");
        var wecom = Blank(input.WecomUserId);
        if (wecom is { Length: > 64 })
            throw new ValidationFailedException("A WeCom user id is at most 64 characters.", "wecomUserId");
        var tracking = Blank(input.TrackingCode);
        if (tracking is not null && (tracking.Length > 32 || !tracking.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ValidationFailedException("A tracking code is 1–32 letters, digits, '-' or '_' (it goes into links).", "trackingCode");
        return new CleanStaff(name, email, phone, wecom, tracking, status);
    }

    // ---- carriers ---------------------------------------------------------------------------

    private const string CarrierSelect =
        """
        SELECT k.id, k.kind, k.name, k.external_id, k.app_id, k.contact_url, k.owner_staff_id, s.name AS owner_staff_name, k.status, k.created_at, k.updated_at,
               (SELECT COUNT(*) FROM relationships r WHERE r.workspace_id = k.workspace_id AND r.carrier_id = k.id AND r.state = 'active') AS active_relationships
        FROM carriers k LEFT JOIN staff s ON s.id = k.owner_staff_id
        """;

    public async Task<IReadOnlyList<CarrierAccount>> ListCarriersAsync(Guid workspaceId, string? kind = null, Guid? ownerStaffId = null)
    {
        if (kind is not null && !CarrierKinds.IsValid(kind))
            throw UnknownKind(kind);
        await using var connection = await database.OpenAsync();
        var rows = await connection.QueryAsync<CarrierAccount>(
            $"""
            {CarrierSelect}
            WHERE k.workspace_id = @workspaceId{(kind is null ? "" : " AND k.kind = @kind")}{(ownerStaffId is null ? "" : " AND k.owner_staff_id = @ownerStaffId")}
            ORDER BY k.kind, k.name, k.id
            """, new { workspaceId, kind, ownerStaffId });
        return rows.AsList();
    }

    public async Task<CarrierAccount> GetCarrierAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await FindCarrierAsync(connection, workspaceId, id) ?? throw CarrierNotFound(id);
    }

    public async Task<CarrierAccount> CreateCarrierAsync(Guid workspaceId, CarrierInput input, string actor)
    {
        var clean = ValidateCarrier(input);
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await CheckCarrierAsync(connection, transaction, workspaceId, clean, null);
        await InsertOrUpdateAsync(() => connection.ExecuteAsync(
            """
            INSERT INTO carriers (id, workspace_id, kind, name, external_id, app_id, contact_url, owner_staff_id, status, created_at, updated_at)
            VALUES (@id, @workspaceId, @Kind, @Name, @ExternalId, @AppId, @ContactUrl, @OwnerStaffId, @Status, @now, @now)
            """,
            new { id, workspaceId, clean.Kind, clean.Name, clean.ExternalId, clean.AppId, clean.ContactUrl, clean.OwnerStaffId, clean.Status, now }, transaction), clean);
        await audit.RecordAsync(workspaceId, actor, "carrier.create", id.ToString(), new { clean.Kind, clean.Name, clean.ExternalId, clean.Status }, connection, transaction);
        await transaction.CommitAsync();
        return (await FindCarrierAsync(connection, workspaceId, id))!;
    }

    public async Task<CarrierAccount> UpdateCarrierAsync(Guid workspaceId, Guid id, CarrierInput input, string actor)
    {
        var clean = ValidateCarrier(input);
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var before = await FindCarrierAsync(connection, workspaceId, id, transaction) ?? throw CarrierNotFound(id);
        if (before.Kind != clean.Kind)
            throw new ValidationFailedException($"A carrier's kind cannot change (it is {before.Kind}); create a new carrier instead.", "kind");
        await CheckCarrierAsync(connection, transaction, workspaceId, clean, id);
        await InsertOrUpdateAsync(() => connection.ExecuteAsync(
            """
            UPDATE carriers SET name = @Name, external_id = @ExternalId, app_id = @AppId, contact_url = @ContactUrl, owner_staff_id = @OwnerStaffId, status = @Status, updated_at = @now
            WHERE workspace_id = @workspaceId AND id = @id
            """,
            new { id, workspaceId, clean.Name, clean.ExternalId, clean.AppId, clean.ContactUrl, clean.OwnerStaffId, clean.Status, now = clock.GetUtcNow() }, transaction), clean);
        await audit.RecordAsync(workspaceId, actor, "carrier.update", id.ToString(),
            new { clean.Name, clean.ExternalId, clean.Status, clean.OwnerStaffId, previousStatus = before.Status, previousOwner = before.OwnerStaffId },
            connection, transaction);
        await transaction.CommitAsync();
        return (await FindCarrierAsync(connection, workspaceId, id))!;
    }

    /// <summary>Deletes a carrier nobody has a relationship with; one with history is disabled instead, so the 360 keeps its meaning.</summary>
    public async Task DeleteCarrierAsync(Guid workspaceId, Guid id, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var carrier = await FindCarrierAsync(connection, workspaceId, id, transaction) ?? throw CarrierNotFound(id);
        var relationships = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM relationships WHERE workspace_id = @workspaceId AND carrier_id = @id", new { workspaceId, id }, transaction);
        if (relationships > 0)
            throw new ConflictException($"{carrier.Name} has {relationships} customer relationship(s) on record; set its status to 'disabled' or 'banned' instead of deleting it.");
        await connection.ExecuteAsync("DELETE FROM carriers WHERE workspace_id = @workspaceId AND id = @id", new { workspaceId, id }, transaction);
        await audit.RecordAsync(workspaceId, actor, "carrier.delete", id.ToString(), new { carrier.Kind, carrier.Name, carrier.ExternalId }, connection, transaction);
        await transaction.CommitAsync();
    }

    private static async Task<CarrierAccount?> FindCarrierAsync(DbConnection connection, Guid workspaceId, Guid id, DbTransaction? transaction = null) =>
        await connection.QuerySingleOrDefaultAsync<CarrierAccount>($"{CarrierSelect} WHERE k.workspace_id = @workspaceId AND k.id = @id", new { workspaceId, id }, transaction);

    private static async Task CheckCarrierAsync(DbConnection connection, DbTransaction transaction, Guid workspaceId, CleanCarrier carrier, Guid? except)
    {
        if (carrier.OwnerStaffId is { } owner)
        {
            var exists = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM staff WHERE workspace_id = @workspaceId AND id = @owner", new { workspaceId, owner }, transaction);
            if (exists == 0)
                throw new ValidationFailedException($"No staff member {owner} in this workspace; take ownerStaffId from GET /api/staff.", "ownerStaffId");
        }

        var duplicate = await connection.QueryFirstOrDefaultAsync<string?>(
            "SELECT name FROM carriers WHERE workspace_id = @workspaceId AND kind = @Kind AND external_id = @ExternalId" + (except is null ? "" : " AND id <> @except"),
            new { workspaceId, carrier.Kind, carrier.ExternalId, except }, transaction);
        if (duplicate is not null)
            throw DuplicateCarrier(carrier, duplicate);
    }

    // The check above answers the common case with a name; the unique index settles a race between two requests.
    private static async Task InsertOrUpdateAsync(Func<Task<int>> write, CleanCarrier carrier)
    {
        try
        {
            await write();
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            throw DuplicateCarrier(carrier, "another carrier");
        }
    }

    private static ConflictException DuplicateCarrier(CleanCarrier carrier, string existing) =>
        new($"A {carrier.Kind} carrier with external id '{carrier.ExternalId}' already exists ({existing}); edit that one instead.");

    private static NotFoundException CarrierNotFound(Guid id) => new($"No carrier {id} in this workspace.");

    private static ValidationFailedException UnknownKind(string kind) =>
        new($"Unknown carrier kind '{kind}'; use one of {string.Join(", ", CarrierKinds.All)}.", "kind");

    private sealed record CleanCarrier(string Kind, string Name, string ExternalId, string? AppId, string? ContactUrl, Guid? OwnerStaffId, string Status);

    private static CleanCarrier ValidateCarrier(CarrierInput input)
    {
        var kind = Blank(input.Kind)?.ToLowerInvariant();
        if (kind is null)
            throw new ValidationFailedException($"A carrier needs a kind: one of {string.Join(", ", CarrierKinds.All)}.", "kind");
        if (!CarrierKinds.IsValid(kind))
            throw UnknownKind(input.Kind!);
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
            throw new ValidationFailedException($"A carrier needs a name of 1–{MaxNameLength} characters, e.g. '导购小美的企业微信'.", "name");
        var externalId = Blank(input.ExternalId);
        if (externalId is null || externalId.Length > MaxExternalIdLength)
            throw new ValidationFailedException(
                "externalId is the platform's id for the account (WeCom userid, official-account id, group chat id, sender number…), 1–200 characters.", "externalId");
        if (CarrierKinds.IsStaffAccount(kind) && input.OwnerStaffId is null)
            throw new ValidationFailedException($"A {kind} is a staff member's account; set ownerStaffId to the staff member who holds it.", "ownerStaffId");
        var status = Blank(input.Status)?.ToLowerInvariant() ?? CarrierStatuses.Active;
        if (!CarrierStatuses.All.Contains(status))
            throw new ValidationFailedException($"Unknown carrier status '{input.Status}'; use one of {string.Join(", ", CarrierStatuses.All)}.", "status");
        var contactUrl = Blank(input.ContactUrl);
        if (contactUrl is not null && (contactUrl.Length > 500 || !Uri.TryCreate(contactUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw new ValidationFailedException(
                "contactUrl is the link a live code's landing page shows for this account or group (its 联系我 or group QR link): an http(s) URL of at most 500 characters.", "contactUrl");
        return new CleanCarrier(kind, name, externalId, Blank(input.AppId), contactUrl, input.OwnerStaffId, status);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
