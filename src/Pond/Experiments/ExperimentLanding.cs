using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Pond.Channels;
using Pond.Storage;

namespace Pond.Experiments;

/// <summary>Deterministic assignment: the same experiment and visitor always land in the same variant, with no state.</summary>
internal static class ExperimentAssignment
{
    /// <summary>
    /// SHA-256 of the experiment id and the visitor key, read as a 64-bit number, taken modulo the sum of the weights:
    /// each variant owns a slice of that range as wide as its weight. Salting with the experiment id keeps assignments
    /// of two experiments independent of each other.
    /// </summary>
    public static int Variant(Guid experimentId, string visitor, IReadOnlyList<int> weights)
    {
        var total = weights.Sum();
        if (weights.Count == 0 || total <= 0)
            throw new ArgumentException("At least one positive weight.", nameof(weights));
        var visitorBytes = Encoding.UTF8.GetBytes(visitor);
        var input = new byte[16 + visitorBytes.Length];
        experimentId.TryWriteBytes(input);
        visitorBytes.CopyTo(input, 16);
        var bucket = BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(input)) % (ulong)total;
        ulong edge = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            edge += (ulong)weights[i];
            if (bucket < edge)
                return i;
        }

        return weights.Count - 1;
    }
}

/// <summary>What the experiment's landing page shows: the variant's live-code landing, with the variant's hook if it has one.</summary>
internal sealed record ExperimentVisit(Experiment Experiment, ExperimentVariant Variant, Landing Landing, bool Assigned);

/// <summary>
/// A visit to a live_code experiment's link (/x/{slug}). While the experiment runs, the visitor is assigned by hash and
/// the assignment recorded once (the unit the results count); the visit then goes through the variant's live code as a
/// scan of it would (routing, the visit per day, alerts), so adds are credited to that code. Before it starts the link
/// shows the control, after it stops the variant kept: the printed code never breaks.
/// </summary>
internal sealed class ExperimentLanding(ExperimentBook book, LiveCodeLanding codes, Database database, TimeProvider clock)
{
    public async Task<ExperimentVisit?> EnterAsync(string slug, string visitor, string? region, DateTimeOffset? at = null)
    {
        if (await book.FindBySlugAsync(slug) is not { Kind: ExperimentKinds.LiveCode } experiment)
            return null;
        var now = at ?? clock.GetUtcNow();
        int position;
        var assigned = false;
        if (experiment.Status == ExperimentStatuses.Running)
        {
            position = ExperimentAssignment.Variant(experiment.Id, visitor, experiment.Variants.Select(v => v.Weight).ToList());
            await using var connection = await database.OpenAsync();
            assigned = await connection.ExecuteAsync(
                """
                INSERT INTO experiment_assignments (experiment_id, visitor, variant, assigned_at) VALUES (@id, @visitor, @position, @now)
                ON CONFLICT DO NOTHING
                """, new { id = experiment.Id, visitor, position, now }) == 1;
        }
        else
        {
            position = experiment.Status == ExperimentStatuses.Stopped ? experiment.KeepVariant : 0;
        }

        var variant = experiment.Variants[position];
        if (variant.CodeSlug is not { } codeSlug || await codes.ScanAsync(codeSlug, visitor, region, now) is not { } landing)
            return null;
        var shown = variant.Hook is null
            ? landing
            : new Landing
            {
                WorkspaceName = landing.WorkspaceName, Code = landing.Code, Hook = variant.Hook, Target = landing.Target,
                FallbackReason = landing.FallbackReason, NewVisit = landing.NewVisit,
            };
        return new ExperimentVisit(experiment, variant, shown, assigned);
    }
}
