using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Goals;

/// <summary>A stored yearly goal (money in fen, rates in parts per million).</summary>
public sealed class Goal
{
    public Guid Id { get; init; }
    public Guid WorkspaceId { get; init; }
    public int Year { get; init; }
    public long PoolTarget { get; init; }
    public long GmvTarget { get; init; }

    /// <summary>The operator's pool at the start of the year; null: measured from the rollups.</summary>
    public long? StartPool { get; init; }

    public string Method { get; init; } = GoalMethods.Even;
    public string? Weights { get; init; }

    /// <summary>The operator's monthly deletion rate; null: observed from the rollups.</summary>
    public long? DeletionRatePpm { get; init; }

    public long AlertThresholdPpm { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string? UpdatedBy { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public IReadOnlyList<decimal>? WeightList => Weights is null ? null : JsonSerializer.Deserialize<List<decimal>>(Weights);

    public decimal? DeletionRate => DeletionRatePpm is { } ppm ? ppm / GoalBook.Million : null;

    public decimal AlertThreshold => AlertThresholdPpm / GoalBook.Million;
}

/// <summary>A goal as the API and the console send it: GMV in yuan, rates as fractions (0.03 = 3%).</summary>
public sealed class GoalInput
{
    public int? Year { get; init; }
    public long? PoolTarget { get; init; }
    public decimal? GmvTarget { get; init; }

    /// <summary>Leave out to use the pool measured at the end of the previous year.</summary>
    public long? StartPool { get; init; }

    /// <summary>even (default), seasonal or growth.</summary>
    public string? Method { get; init; }

    /// <summary>Twelve weights, January first, for the seasonal method only; normalised, so 1 or 8.33 both mean an ordinary month.</summary>
    public IReadOnlyList<decimal>? Weights { get; init; }

    /// <summary>Leave out to use the rate observed over the last three full months.</summary>
    public decimal? MonthlyDeletionRate { get; init; }

    /// <summary>How far behind the month's pace (a fraction, default 0.1) before an alert is raised.</summary>
    public decimal? AlertThreshold { get; init; }
}

/// <summary>Stores goals: one per workspace and year; creating a second for a year is a conflict (409), updating replaces.</summary>
public sealed class GoalBook(Database database, AuditLog audit, TimeProvider clock)
{
    internal const decimal Million = 1_000_000m;
    public const int FirstYear = 2000;
    public const int LastYear = 2100;
    public const decimal DefaultAlertThreshold = 0.1m;
    private const long MaxPeople = 10_000_000_000;
    private const decimal MaxGmvYuan = 1_000_000_000_000m;

    private const string Columns =
        "id, workspace_id, year, pool_target, gmv_target, start_pool, method, weights, deletion_rate_ppm, alert_threshold_ppm, created_by, created_at, updated_by, updated_at";

    public async Task<IReadOnlyList<Goal>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<Goal>($"SELECT {Columns} FROM goals WHERE workspace_id = @workspaceId ORDER BY year DESC", new { workspaceId })).AsList();
    }

    public async Task<Goal?> FindAsync(Guid workspaceId, int year)
    {
        await using var connection = await database.OpenAsync();
        return await FindAsync(connection, null, workspaceId, year);
    }

    public async Task<Goal> GetAsync(Guid workspaceId, int year) =>
        await FindAsync(workspaceId, year) ?? throw new NotFoundException($"There is no goal for {year}; create one with POST /api/goals.");

    /// <summary>Creates the year's goal; a goal already set for the year is a conflict (update it instead).</summary>
    public async Task<Goal> CreateAsync(Guid workspaceId, GoalInput input, string actor)
    {
        var clean = Validate(input, input.Year);
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        var id = Guid.CreateVersion7();
        try
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(
                """
                INSERT INTO goals (id, workspace_id, year, pool_target, gmv_target, start_pool, method, weights, deletion_rate_ppm, alert_threshold_ppm,
                    created_by, created_at, updated_by, updated_at)
                VALUES (@id, @workspaceId, @Year, @PoolTarget, @GmvTarget, @StartPool, @Method, @Weights, @DeletionRatePpm, @AlertThresholdPpm,
                    @actor, @now, @actor, @now)
                """,
                new
                {
                    id, workspaceId, clean.Year, clean.PoolTarget, clean.GmvTarget, clean.StartPool, clean.Method, clean.Weights, clean.DeletionRatePpm,
                    clean.AlertThresholdPpm, actor, now,
                }, transaction);
            await audit.RecordAsync(workspaceId, actor, "goal.create", clean.Year.ToString(CultureInfo.InvariantCulture), Details(clean), connection, transaction);
            await transaction.CommitAsync();
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            throw new ConflictException($"There is already a goal for {clean.Year}; change it with PUT /api/goals/{clean.Year}.");
        }

        return (await FindAsync(connection, null, workspaceId, clean.Year))!;
    }

    /// <summary>Replaces the year's goal (every field; those left out go back to measured or default).</summary>
    public async Task<Goal> UpdateAsync(Guid workspaceId, int year, GoalInput input, string actor)
    {
        if (input.Year is { } body && body != year)
            throw new ValidationFailedException($"year: the body says {body} but the address says {year}; a goal cannot move to another year.", "year");
        var clean = Validate(input, year);
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var changed = await connection.ExecuteAsync(
            """
            UPDATE goals SET pool_target = @PoolTarget, gmv_target = @GmvTarget, start_pool = @StartPool, method = @Method, weights = @Weights,
                deletion_rate_ppm = @DeletionRatePpm, alert_threshold_ppm = @AlertThresholdPpm, updated_by = @actor, updated_at = @now
            WHERE workspace_id = @workspaceId AND year = @Year
            """,
            new
            {
                workspaceId, clean.Year, clean.PoolTarget, clean.GmvTarget, clean.StartPool, clean.Method, clean.Weights, clean.DeletionRatePpm,
                clean.AlertThresholdPpm, actor, now = clock.GetUtcNow(),
            }, transaction);
        if (changed == 0)
            throw new NotFoundException($"There is no goal for {year}; create one with POST /api/goals.");
        await audit.RecordAsync(workspaceId, actor, "goal.update", year.ToString(CultureInfo.InvariantCulture), Details(clean), connection, transaction);
        await transaction.CommitAsync();
        return (await FindAsync(connection, null, workspaceId, year))!;
    }

    public async Task DeleteAsync(Guid workspaceId, int year, string actor)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (await connection.ExecuteAsync("DELETE FROM goals WHERE workspace_id = @workspaceId AND year = @year", new { workspaceId, year }, transaction) == 0)
            throw new NotFoundException($"There is no goal for {year}.");
        await audit.RecordAsync(workspaceId, actor, "goal.delete", year.ToString(CultureInfo.InvariantCulture), null, connection, transaction);
        await transaction.CommitAsync();
    }

    /// <summary>Checks every field and names the first one to fix.</summary>
    public static Goal Validate(GoalInput input, int? year)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (year is not { } y)
            throw new ValidationFailedException("year is required, e.g. 2026.", "year");
        if (y is < FirstYear or > LastYear)
            throw new ValidationFailedException($"year {y} is out of range; use a year from {FirstYear} to {LastYear}.", "year");
        if (input.PoolTarget is not { } pool)
            throw new ValidationFailedException("poolTarget is required: the customers in the pool at the end of the year.", "poolTarget");
        if (pool is < 0 or > MaxPeople)
            throw new ValidationFailedException($"poolTarget {pool} must be from 0 to {MaxPeople}.", "poolTarget");
        if (input.GmvTarget is not { } gmv)
            throw new ValidationFailedException("gmvTarget is required: the year's private-domain GMV in yuan.", "gmvTarget");
        if (gmv is < 0 or > MaxGmvYuan)
            throw new ValidationFailedException($"gmvTarget {gmv} must be from 0 to {MaxGmvYuan} yuan.", "gmvTarget");
        if (decimal.Round(gmv, 2) != gmv)
            throw new ValidationFailedException($"gmvTarget {gmv} has more than two decimals; give yuan to the fen.", "gmvTarget");
        if (input.StartPool is < 0 or > MaxPeople)
            throw new ValidationFailedException($"startPool {input.StartPool} must be from 0 to {MaxPeople}, or left out to use the pool measured at the end of {y - 1}.", "startPool");
        var method = (input.Method ?? GoalMethods.Even).Trim().ToLowerInvariant();
        if (!GoalMethods.All.Contains(method))
            throw new ValidationFailedException($"method '{input.Method}' is not known; use even, seasonal or growth.", "method");
        string? weights = null;
        if (method == GoalMethods.Seasonal)
        {
            if (input.Weights is not { } w || w.Count != 12)
                throw new ValidationFailedException($"weights: the seasonal method needs 12 weights, January to December (got {input.Weights?.Count ?? 0}).", "weights");
            if (w.Any(v => v < 0))
                throw new ValidationFailedException("weights cannot be negative; give each month's share of the year (0 for a month with none).", "weights");
            if (w.Sum() <= 0)
                throw new ValidationFailedException("weights add up to 0; give at least one month a weight above 0.", "weights");
            if (w.Any(v => v > 1_000_000))
                throw new ValidationFailedException("weights must each be at most 1000000; they are normalised, so small numbers are enough.", "weights");
            weights = JsonSerializer.Serialize(w);
        }
        else if (input.Weights is { Count: > 0 })
        {
            throw new ValidationFailedException($"weights apply only to the seasonal method; leave them out for {method}.", "weights");
        }

        if (input.MonthlyDeletionRate is { } rate && rate is < 0 or >= 1)
            throw new ValidationFailedException($"monthlyDeletionRate {rate} must be a fraction from 0 up to (not including) 1, e.g. 0.03 for 3% a month.", "monthlyDeletionRate");
        if (input.MonthlyDeletionRate is { } exact && decimal.Round(exact * Million) != exact * Million)
            throw new ValidationFailedException($"monthlyDeletionRate {exact} has more than six decimals.", "monthlyDeletionRate");
        var threshold = input.AlertThreshold ?? DefaultAlertThreshold;
        if (threshold is <= 0 or >= 1)
            throw new ValidationFailedException($"alertThreshold {threshold} must be a fraction above 0 and below 1, e.g. 0.1 to alert when 10% behind the month's pace.", "alertThreshold");
        return new Goal
        {
            Year = y,
            PoolTarget = pool,
            GmvTarget = (long)(gmv * 100),
            StartPool = input.StartPool,
            Method = method,
            Weights = weights,
            DeletionRatePpm = input.MonthlyDeletionRate is { } d ? (long)(d * Million) : null,
            AlertThresholdPpm = (long)decimal.Round(threshold * Million),
        };
    }

    private static object Details(Goal goal) => new
    {
        goal.Year, goal.PoolTarget, gmvTarget = goal.GmvTarget / 100m, goal.StartPool, goal.Method, weights = goal.WeightList, monthlyDeletionRate = goal.DeletionRate,
    };

    private static Task<Goal?> FindAsync(DbConnection connection, DbTransaction? transaction, Guid workspaceId, int year) =>
        connection.QuerySingleOrDefaultAsync<Goal>($"SELECT {Columns} FROM goals WHERE workspace_id = @workspaceId AND year = @year", new { workspaceId, year }, transaction);
}
