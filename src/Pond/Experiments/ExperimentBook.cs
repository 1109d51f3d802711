using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Pond.Journeys;
using Pond.Storage;
using Pond.Workspaces;

namespace Pond.Experiments;

/// <summary>
/// Experiments as the operator plans them: created as drafts (every field checked, the planned sample worked out by the
/// calculator), started (which claims the live codes or journey step, so two running experiments never share one) and
/// stopped (which frees them; the link then sends everyone to the variant kept).
/// </summary>
internal sealed class ExperimentBook(Database database, JourneyCatalog journeys, AuditLog audit, TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxVariants = 5;
    private const string SlugAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    private const string Select =
        """
        SELECT id, workspace_id, name, hypothesis, kind, status, slug, journey_id, step_id, primary_metric, guardrails, conversion_event,
               window_days, alpha, power, baseline, mde, sd, sample_override, planned_per_group, keep_variant, created_by, created_at,
               updated_at, started_at, stopped_at
        FROM experiments
        """;

    public async Task<IReadOnlyList<Experiment>> ListAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var rows = (await connection.QueryAsync<ExperimentRow>($"{Select} WHERE workspace_id = @workspaceId ORDER BY created_at DESC", new { workspaceId })).ToList();
        var variants = (await connection.QueryAsync<VariantRow>(
            """
            SELECT v.experiment_id, v.position, v.name, v.code_id, v.hook, v.weight, l.name AS code_name, l.slug AS code_slug
            FROM experiment_variants v JOIN experiments e ON e.id = v.experiment_id LEFT JOIN live_codes l ON l.id = v.code_id
            WHERE e.workspace_id = @workspaceId ORDER BY v.experiment_id, v.position
            """, new { workspaceId })).ToLookup(v => v.ExperimentId);
        return rows.Select(r => r.ToExperiment(variants[r.Id])).ToList();
    }

    public async Task<Experiment> GetAsync(Guid workspaceId, Guid id)
    {
        await using var connection = await database.OpenAsync();
        return await FindAsync(connection, null, "workspace_id = @workspaceId AND id = @id", new { workspaceId, id })
            ?? throw new NotFoundException($"No experiment {id} in this workspace.");
    }

    public async Task<Experiment?> FindBySlugAsync(string slug)
    {
        await using var connection = await database.OpenAsync();
        return await FindAsync(connection, null, "slug = @slug", new { slug });
    }

    private static async Task<Experiment?> FindAsync(DbConnection connection, DbTransaction? transaction, string where, object args)
    {
        var row = await connection.QuerySingleOrDefaultAsync<ExperimentRow>($"{Select} WHERE {where}", args, transaction);
        if (row is null)
            return null;
        var variants = await connection.QueryAsync<VariantRow>(
            """
            SELECT v.experiment_id, v.position, v.name, v.code_id, v.hook, v.weight, l.name AS code_name, l.slug AS code_slug
            FROM experiment_variants v LEFT JOIN live_codes l ON l.id = v.code_id
            WHERE v.experiment_id = @id ORDER BY v.position
            """, new { id = row.Id }, transaction);
        return row.ToExperiment(variants);
    }

    public async Task<Experiment> CreateAsync(Guid workspaceId, ExperimentInput input, string actor)
    {
        await using var connection = await database.OpenAsync();
        var clean = await CleanAsync(connection, workspaceId, input);
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO experiments (id, workspace_id, name, hypothesis, kind, status, slug, channel_id, journey_id, step_id, primary_metric, guardrails,
                    conversion_event, window_days, alpha, power, baseline, mde, sd, sample_override, planned_per_group, keep_variant, created_by,
                    created_at, updated_at)
                VALUES (@id, @workspaceId, @Name, @Hypothesis, @Kind, @status, @slug, NULL, @JourneyId, @StepId, @PrimaryMetric, @guardrails,
                    @ConversionEvent, @WindowDays, @Alpha, @Power, @Baseline, @Mde, @Sd, @SampleOverride, @PlannedPerGroup, 0, @actor, @now, @now)
                """,
                new
                {
                    id, workspaceId, clean.Name, clean.Hypothesis, clean.Kind, status = ExperimentStatuses.Draft,
                    slug = clean.Kind == ExperimentKinds.LiveCode ? RandomNumberGenerator.GetString(SlugAlphabet, 10) : null,
                    clean.JourneyId, clean.StepId, clean.PrimaryMetric, guardrails = JsonSerializer.Serialize(clean.Guardrails), clean.ConversionEvent,
                    clean.WindowDays, clean.Alpha, clean.Power, clean.Baseline, clean.Mde, clean.Sd, clean.SampleOverride, clean.PlannedPerGroup, actor, now,
                }, transaction);
            await InsertVariantsAsync(connection, transaction, id, clean.Variants);
            await transaction.CommitAsync();
        }

        await audit.RecordAsync(workspaceId, actor, "experiment.create", $"experiment:{id}", new { clean.Name, clean.Kind, clean.PlannedPerGroup });
        return await GetAsync(workspaceId, id);
    }

    private static async Task InsertVariantsAsync(DbConnection connection, DbTransaction transaction, Guid id, IEnumerable<ExperimentVariant> variants)
    {
        await connection.ExecuteAsync("DELETE FROM experiment_variants WHERE experiment_id = @id", new { id }, transaction);
        foreach (var v in variants)
        {
            await connection.ExecuteAsync(
                "INSERT INTO experiment_variants (experiment_id, position, name, code_id, hook, weight) VALUES (@id, @Position, @Name, @CodeId, @Hook, @Weight)",
                new { id, v.Position, v.Name, v.CodeId, v.Hook, v.Weight }, transaction);
        }
    }

    /// <summary>
    /// Starts a draft. The live codes (or the journey step) are claimed in experiment_subjects, whose key refuses a second
    /// running experiment on the same subject on any node; a journey experiment takes its branches' weights from the
    /// journey's live version, which is what the engine runs.
    /// </summary>
    public async Task<Experiment> StartAsync(Guid workspaceId, Guid id, string actor)
    {
        var experiment = await GetAsync(workspaceId, id);
        if (experiment.Status != ExperimentStatuses.Draft)
            throw new ConflictException($"The experiment is {experiment.Status}; only a draft can start.");
        IReadOnlyList<ExperimentVariant> variants = experiment.Variants;
        if (experiment.Kind == ExperimentKinds.JourneyBranch)
        {
            var (definition, live) = await DefinitionAsync(workspaceId, experiment.JourneyId!.Value);
            if (!live)
                throw new ConflictException("Publish the journey first: the experiment measures the branches of its live version.");
            variants = BranchVariants(definition, experiment.StepId!);
        }

        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using DbTransaction transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
        var changed = await connection.ExecuteAsync(
            "UPDATE experiments SET status = @running, started_at = @now, updated_at = @now WHERE id = @id AND status = @draft",
            new { id, running = ExperimentStatuses.Running, draft = ExperimentStatuses.Draft, now }, transaction);
        if (changed == 0)
            throw new ConflictException("The experiment was started or stopped meanwhile; reload it.");
        await InsertVariantsAsync(connection, transaction, id, variants);
        foreach (var subject in Subjects(experiment))
        {
            try
            {
                await connection.ExecuteAsync("INSERT INTO experiment_subjects (workspace_id, subject, experiment_id) VALUES (@workspaceId, @subject, @id)",
                    new { workspaceId, subject, id }, transaction);
            }
            catch (DbException e) when (Database.IsUniqueViolation(e))
            {
                throw new ConflictException(subject.StartsWith("code:", StringComparison.Ordinal)
                    ? "One of the variants' live codes is in another running experiment; stop that one first (one variable at a time)."
                    : "This journey step is in another running experiment; stop that one first.");
            }
        }

        await transaction.CommitAsync();
        await audit.RecordAsync(workspaceId, actor, "experiment.start", $"experiment:{id}", new { experiment.Name });
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Stops a running experiment; <paramref name="keep"/> (default the control) is where its link sends people from now on.</summary>
    public async Task<Experiment> StopAsync(Guid workspaceId, Guid id, int? keep, string actor)
    {
        var experiment = await GetAsync(workspaceId, id);
        if (keep is { } k && (k < 0 || k >= experiment.Variants.Count))
            throw new ValidationFailedException($"keep must be a variant position from 0 to {experiment.Variants.Count - 1}.", "keep");
        if (experiment.Status != ExperimentStatuses.Running)
            throw new ConflictException($"The experiment is {experiment.Status}; only a running experiment can stop.");
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync();
        await using DbTransaction transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : await connection.BeginTransactionAsync();
        var changed = await connection.ExecuteAsync(
            "UPDATE experiments SET status = @stopped, stopped_at = @now, updated_at = @now, keep_variant = @keep WHERE id = @id AND status = @running",
            new { id, stopped = ExperimentStatuses.Stopped, running = ExperimentStatuses.Running, now, keep = keep ?? 0 }, transaction);
        if (changed == 0)
            throw new ConflictException("The experiment was stopped meanwhile; reload it.");
        await connection.ExecuteAsync("DELETE FROM experiment_subjects WHERE experiment_id = @id", new { id }, transaction);
        await transaction.CommitAsync();
        await audit.RecordAsync(workspaceId, actor, "experiment.stop", $"experiment:{id}", new { experiment.Name, keep = keep ?? 0 });
        return await GetAsync(workspaceId, id);
    }

    /// <summary>Live codes a variant may use (for the console's form): id, name and channel.</summary>
    public async Task<IReadOnlyList<CodeChoice>> CodeChoicesAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<CodeChoice>(
            """
            SELECT l.id, l.name, c.name AS channel_name FROM live_codes l JOIN channels c ON c.id = l.channel_id
            WHERE l.workspace_id = @workspaceId ORDER BY c.name, l.name
            """, new { workspaceId })).ToList();
    }

    /// <summary>Every random step of every journey (for the console's form).</summary>
    public async Task<IReadOnlyList<StepChoice>> StepChoicesAsync(Guid workspaceId)
    {
        var choices = new List<StepChoice>();
        foreach (var journey in await journeys.ListAsync(workspaceId))
        {
            var definition = journey.LiveVersion is { } version ? await journeys.VersionAsync(journey.Id, version) : journey.Draft;
            foreach (var step in definition.Steps.Where(s => s.Kind == StepKinds.Random))
                choices.Add(new StepChoice(journey.Id, journey.Name, step.Id, step.Name ?? step.Id, step.Branches?.Count ?? 0));
        }

        return choices;
    }

    private static IEnumerable<string> Subjects(Experiment experiment) =>
        experiment.Kind == ExperimentKinds.LiveCode
            ? experiment.Variants.Select(v => $"code:{v.CodeId}")
            : [$"step:{experiment.JourneyId}:{experiment.StepId}"];

    private async Task<(JourneyDefinition Definition, bool Live)> DefinitionAsync(Guid workspaceId, Guid journeyId)
    {
        var journey = await journeys.GetAsync(workspaceId, journeyId);
        return journey.LiveVersion is { } version ? (await journeys.VersionAsync(journeyId, version), true) : (journey.Draft, false);
    }

    private static List<ExperimentVariant> BranchVariants(JourneyDefinition definition, string stepId)
    {
        var step = definition.Steps.FirstOrDefault(s => s.Id == stepId)
            ?? throw new ValidationFailedException($"The journey has no step '{stepId}'.", "stepId");
        if (step.Kind != StepKinds.Random || step.Branches is not { Count: >= 2 } branches)
            throw new ValidationFailedException($"Step '{stepId}' is not a random split with two or more branches; pick a random step.", "stepId");
        if (branches.Count > MaxVariants)
            throw new ValidationFailedException($"An experiment compares at most {MaxVariants} variants; the step has {branches.Count} branches.", "stepId");
        return branches.Select((b, i) => new ExperimentVariant
        {
            Position = i, Name = string.IsNullOrWhiteSpace(b.Label) ? $"Branch {i + 1}" : b.Label.Trim(), Weight = b.Percent,
        }).ToList();
    }

    private async Task<Clean> CleanAsync(DbConnection connection, Guid workspaceId, ExperimentInput input)
    {
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name))
            throw new ValidationFailedException("name is required: what the experiment tests, e.g. \"Package card hook: sample vs red packet\".", "name");
        if (name.Length > MaxNameLength)
            throw new ValidationFailedException($"name is at most {MaxNameLength} characters.", "name");
        var hypothesis = string.IsNullOrWhiteSpace(input.Hypothesis) ? null : input.Hypothesis.Trim();
        if (hypothesis is { Length: > 1000 })
            throw new ValidationFailedException("hypothesis is at most 1,000 characters.", "hypothesis");
        var kind = input.Kind?.Trim() ?? "";
        if (!ExperimentKinds.All.Contains(kind))
            throw new ValidationFailedException($"kind must be one of: {string.Join(", ", ExperimentKinds.All)}.", "kind");

        List<ExperimentVariant> variants;
        Guid? journeyId = null;
        string? stepId = null;
        if (kind == ExperimentKinds.LiveCode)
        {
            if (input.JourneyId is not null || input.StepId is not null)
                throw new ValidationFailedException("journeyId and stepId belong to journey_branch experiments.", "journeyId");
            variants = await LiveCodeVariantsAsync(connection, workspaceId, input.Variants);
        }
        else
        {
            if (input.Variants is { Count: > 0 })
                throw new ValidationFailedException("A journey_branch experiment's variants are the step's branches; leave variants out.", "variants");
            journeyId = input.JourneyId ?? throw new ValidationFailedException("journeyId is required for a journey_branch experiment.", "journeyId");
            stepId = string.IsNullOrWhiteSpace(input.StepId)
                ? throw new ValidationFailedException("stepId is required: the id of the journey's random step.", "stepId")
                : input.StepId.Trim();
            JourneyDefinition definition;
            try
            {
                (definition, _) = await DefinitionAsync(workspaceId, journeyId.Value);
            }
            catch (NotFoundException e)
            {
                throw new ValidationFailedException(e.Message, "journeyId");
            }

            variants = BranchVariants(definition, stepId);
        }

        var primary = string.IsNullOrWhiteSpace(input.PrimaryMetric) ? ExperimentMetrics.PrimaryFor(kind)[0] : input.PrimaryMetric.Trim();
        if (!ExperimentMetrics.PrimaryFor(kind).Contains(primary))
            throw new ValidationFailedException($"primaryMetric for a {kind} experiment must be one of: {string.Join(", ", ExperimentMetrics.PrimaryFor(kind))}.", "primaryMetric");
        var guardrails = input.Guardrails is null
            ? ExperimentMetrics.DefaultGuardrails(kind).Where(g => g != primary).ToList()
            : input.Guardrails.Select(g => g?.Trim() ?? "").Distinct().ToList();
        foreach (var guardrail in guardrails)
        {
            if (!ExperimentMetrics.GuardrailsFor(kind).Contains(guardrail) || guardrail == primary)
                throw new ValidationFailedException(
                    $"guardrails for a {kind} experiment are any of: {string.Join(", ", ExperimentMetrics.GuardrailsFor(kind).Where(g => g != primary))} ('{guardrail}' is not).",
                    "guardrails");
        }

        var conversionEvent = string.IsNullOrWhiteSpace(input.ConversionEvent) ? null : input.ConversionEvent.Trim();
        if (conversionEvent is not null && kind != ExperimentKinds.JourneyBranch)
            throw new ValidationFailedException("conversionEvent belongs to journey_branch experiments (a live code's conversion is the add).", "conversionEvent");
        if (conversionEvent is { Length: > 100 })
            throw new ValidationFailedException("conversionEvent is at most 100 characters.", "conversionEvent");
        var window = input.WindowDays ?? 7;
        if (window is < 1 or > 90)
            throw new ValidationFailedException("windowDays must be between 1 and 90.", "windowDays");

        var alpha = input.Alpha ?? 0.05;
        var power = input.Power ?? 0.8;
        var plan = Plan(primary, variants.Count, alpha, power, input.Baseline, input.Mde, input.Sd, input.SamplePerGroup);
        return new Clean(name, hypothesis, kind, variants, journeyId, stepId, primary, guardrails, conversionEvent, window, alpha, power,
            input.Baseline, input.Mde, input.Sd, input.SamplePerGroup, plan.Planned);
    }

    /// <summary>
    /// The planned sample per group: the operator's number when given, else the calculator's, never below the rule of
    /// thumb (1,000 per group). Throws naming the field when the calculator lacks an input.
    /// </summary>
    internal static (long Planned, long? Calculated) Plan(
        string primary, int variantCount, double alpha, double power, double? baseline, double? mde, double? sd, long? samplePerGroup)
    {
        if (!(alpha is > 0 and <= 0.2))
            throw new ValidationFailedException("alpha must be between 0 and 0.2, e.g. 0.05.", "alpha");
        if (!(power is >= 0.5 and < 1))
            throw new ValidationFailedException("power must be between 0.5 and 1, e.g. 0.8.", "power");
        if (samplePerGroup is < 10 or > 100_000_000)
            throw new ValidationFailedException("samplePerGroup must be between 10 and 100,000,000.", "samplePerGroup");
        var comparisonAlpha = alpha / Math.Max(1, variantCount - 1);
        long? calculated = null;
        var mean = ExperimentMetrics.IsMean(primary);
        if (mde is not null || baseline is not null || sd is not null)
        {
            if (mde is not { } effect)
                throw new ValidationFailedException("mde is required with the calculator's other inputs: the smallest change worth detecting (absolute).", "mde");
            if (mean)
            {
                if (sd is not { } deviation)
                    throw new ValidationFailedException("sd is required for a revenue metric: the standard deviation of revenue per unit (yuan).", "sd");
                if (baseline is < 0)
                    throw new ValidationFailedException("baseline (the mean revenue per unit today) cannot be negative.", "baseline");
                calculated = ExperimentStatistics.SampleSizeForMeans(deviation, effect, comparisonAlpha, power);
            }
            else
            {
                if (baseline is not { } rate)
                    throw new ValidationFailedException("baseline is required for a rate metric: today's rate, e.g. 0.3 for 30%.", "baseline");
                calculated = ExperimentStatistics.SampleSizeForProportions(rate, effect, comparisonAlpha, power);
            }
        }
        else if (samplePerGroup is null)
        {
            throw new ValidationFailedException(
                mean ? "Give the calculator's inputs (sd and mde, in yuan) or samplePerGroup." : "Give the calculator's inputs (baseline and mde) or samplePerGroup.",
                "mde");
        }

        return (samplePerGroup ?? Math.Max(ExperimentStatistics.RuleOfThumbPerGroup, calculated!.Value), calculated);
    }

    private static async Task<List<ExperimentVariant>> LiveCodeVariantsAsync(DbConnection connection, Guid workspaceId, List<VariantInput>? inputs)
    {
        if (inputs is not { Count: >= 2 })
            throw new ValidationFailedException("variants: give at least two, each with a live code (codeId); the first is the control.", "variants");
        if (inputs.Count > MaxVariants)
            throw new ValidationFailedException($"variants: at most {MaxVariants}.", "variants");
        var variants = new List<ExperimentVariant>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var field = $"variants[{i}]";
            if (input.CodeId is not { } codeId)
                throw new ValidationFailedException($"{field}.codeId is required: the live code this variant routes visitors through.", $"{field}.codeId");
            var code = await connection.QuerySingleOrDefaultAsync<CodeChoice>(
                "SELECT l.id, l.name, c.name AS channel_name FROM live_codes l JOIN channels c ON c.id = l.channel_id WHERE l.workspace_id = @workspaceId AND l.id = @codeId",
                new { workspaceId, codeId })
                ?? throw new ValidationFailedException($"{field}.codeId: no live code {codeId} in this workspace.", $"{field}.codeId");
            if (variants.Any(v => v.CodeId == codeId))
                throw new ValidationFailedException($"{field}.codeId: each variant needs its own live code, so adds are credited to one variant.", $"{field}.codeId");
            var weight = input.Weight ?? 1;
            if (weight is < 1 or > 100)
                throw new ValidationFailedException($"{field}.weight must be between 1 and 100 (the share of visitors is the weight over the sum).", $"{field}.weight");
            var name = string.IsNullOrWhiteSpace(input.Name) ? ((char)('A' + i)).ToString() : input.Name.Trim();
            if (name.Length > 60)
                throw new ValidationFailedException($"{field}.name is at most 60 characters.", $"{field}.name");
            var hook = string.IsNullOrWhiteSpace(input.Hook) ? null : input.Hook.Trim();
            if (hook is { Length: > 200 })
                throw new ValidationFailedException($"{field}.hook is at most 200 characters.", $"{field}.hook");
            variants.Add(new ExperimentVariant { Position = i, Name = name, CodeId = codeId, CodeName = code.Name, Hook = hook, Weight = weight });
        }

        if (variants.Select(v => v.Name).Distinct().Count() != variants.Count)
            throw new ValidationFailedException("variants: give each variant its own name.", "variants");
        return variants;
    }

    private sealed record Clean(
        string Name, string? Hypothesis, string Kind, List<ExperimentVariant> Variants, Guid? JourneyId, string? StepId, string PrimaryMetric,
        List<string> Guardrails, string? ConversionEvent, int WindowDays, double Alpha, double Power, double? Baseline, double? Mde, double? Sd,
        long? SampleOverride, long PlannedPerGroup);

    internal sealed class CodeChoice
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string ChannelName { get; init; } = "";
    }

    internal sealed record StepChoice(Guid JourneyId, string JourneyName, string StepId, string StepName, int Branches);

    private sealed class ExperimentRow
    {
        public Guid Id { get; init; }
        public Guid WorkspaceId { get; init; }
        public string Name { get; init; } = "";
        public string? Hypothesis { get; init; }
        public string Kind { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Slug { get; init; }
        public Guid? JourneyId { get; init; }
        public string? StepId { get; init; }
        public string PrimaryMetric { get; init; } = "";
        public string Guardrails { get; init; } = "[]";
        public string? ConversionEvent { get; init; }
        public long WindowDays { get; init; }
        public double Alpha { get; init; }
        public double Power { get; init; }
        public double? Baseline { get; init; }
        public double? Mde { get; init; }
        public double? Sd { get; init; }
        public long? SampleOverride { get; init; }
        public long PlannedPerGroup { get; init; }
        public long KeepVariant { get; init; }
        public string? CreatedBy { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public DateTimeOffset? StartedAt { get; init; }
        public DateTimeOffset? StoppedAt { get; init; }

        public Experiment ToExperiment(IEnumerable<VariantRow> variants)
        {
            var list = variants.OrderBy(v => v.Position).Select(v => new ExperimentVariant
            {
                Position = (int)v.Position, Name = v.Name, CodeId = v.CodeId, CodeName = v.CodeName, CodeSlug = v.CodeSlug, Hook = v.Hook, Weight = (int)v.Weight,
            }).ToList();
            long? calculated = null;
            try
            {
                if (Mde is not null)
                    calculated = Plan(PrimaryMetric, list.Count, Alpha, Power, Baseline, Mde, Sd, SampleOverride).Calculated;
            }
            catch (ValidationFailedException)
            {
            }

            var warnings = new List<string>();
            if (SampleOverride is { } manual && manual < ExperimentStatistics.RuleOfThumbPerGroup)
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"The planned sample ({manual:N0} per group) is below the rule of thumb of 1,000 per group: a verdict on so few people is fragile."));
            if (calculated is { } needed && needed > PlannedPerGroup)
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"The calculator needs {needed:N0} per group to detect the minimum effect at this power; with {PlannedPerGroup:N0} a real effect of that size is likely to be missed."));
            return new Experiment
            {
                Id = Id, WorkspaceId = WorkspaceId, Name = Name, Hypothesis = Hypothesis, Kind = Kind, Status = Status, Slug = Slug, JourneyId = JourneyId,
                StepId = StepId, PrimaryMetric = PrimaryMetric, Guardrails = JsonSerializer.Deserialize<List<string>>(Guardrails) ?? [],
                ConversionEvent = ConversionEvent, WindowDays = (int)WindowDays, Alpha = Alpha, Power = Power, Baseline = Baseline, Mde = Mde, Sd = Sd,
                SampleOverride = SampleOverride, PlannedPerGroup = PlannedPerGroup, CalculatedPerGroup = calculated, KeepVariant = (int)KeepVariant,
                Variants = list, Warnings = warnings, CreatedBy = CreatedBy, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt, StartedAt = StartedAt, StoppedAt = StoppedAt,
            };
        }
    }

    private sealed class VariantRow
    {
        public Guid ExperimentId { get; init; }
        public long Position { get; init; }
        public string Name { get; init; } = "";
        public Guid? CodeId { get; init; }
        public string? Hook { get; init; }
        public long Weight { get; init; }
        public string? CodeName { get; init; }
        public string? CodeSlug { get; init; }
    }
}
