using System.Collections.Concurrent;
using Dapper;
using Pond.Storage;

namespace Pond.Activities;

/// <summary>
/// Counts purchase attempts and refusals in memory and adds them to the sale's row about once a second, so the hot
/// path never writes a counter row for a refusal. Only statistics live here: stock and per-customer limits are
/// decided by the database. Each node keeps its own pending counts; the row holds the sum of what every node flushed.
/// </summary>
internal sealed class AttemptTally(Database database) : IDisposable
{
    private const long FlushEveryMs = 1000;
    private const int RateSeconds = 5;

    private readonly ConcurrentDictionary<Guid, SaleTally> _sales = new();

    /// <summary>Counts an attempt and, when refused, its reason (RefusalReasons). Returns true when a flush is due.</summary>
    public bool Count(Guid saleId, string? refusal)
    {
        var tally = _sales.GetOrAdd(saleId, _ => new SaleTally());
        Interlocked.Increment(ref tally.Pending[0]);
        if (refusal is not null)
            Interlocked.Increment(ref tally.Pending[1 + RefusalReasons.Index(refusal)]);
        tally.Tick(Environment.TickCount64 / 1000);
        return Environment.TickCount64 - Interlocked.Read(ref tally.LastFlush) >= FlushEveryMs;
    }

    /// <summary>Attempts per second on this node over the last few seconds.</summary>
    public double Rate(Guid saleId) =>
        _sales.TryGetValue(saleId, out var tally) ? tally.Recent(Environment.TickCount64 / 1000, RateSeconds) / (double)RateSeconds : 0;

    /// <summary>
    /// Adds what this node counted to the rows (one sale, or all). A failed write keeps the counts for next time.
    /// With <paramref name="onlyIfIdle"/> (the hot path) a sale another request is already flushing is skipped, not waited for.
    /// </summary>
    public async Task FlushAsync(Guid? saleId = null, bool onlyIfIdle = false, CancellationToken cancellationToken = default)
    {
        foreach (var (id, tally) in _sales)
        {
            if (saleId is { } only && only != id)
                continue;
            if (onlyIfIdle)
            {
                if (!tally.Gate.Wait(0, cancellationToken))
                    continue;
            }
            else
            {
                await tally.Gate.WaitAsync(cancellationToken);
            }
            try
            {
                Interlocked.Exchange(ref tally.LastFlush, Environment.TickCount64);
                var taken = new long[tally.Pending.Length];
                for (var i = 0; i < taken.Length; i++)
                    taken[i] = Interlocked.Exchange(ref tally.Pending[i], 0);
                if (taken.All(t => t == 0))
                    continue;
                try
                {
                    await using var connection = await database.OpenAsync(cancellationToken);
                    await connection.ExecuteAsync(
                        """
                        UPDATE flash_sales SET attempts = attempts + @a, refused_sold_out = refused_sold_out + @s,
                            refused_limit_reached = refused_limit_reached + @l, refused_not_started = refused_not_started + @n,
                            refused_ended = refused_ended + @e, refused_not_in_audience = refused_not_in_audience + @x
                        WHERE id = @id
                        """, new { id, a = taken[0], s = taken[1], l = taken[2], n = taken[3], e = taken[4], x = taken[5] });
                }
                catch
                {
                    for (var i = 0; i < taken.Length; i++)
                        Interlocked.Add(ref tally.Pending[i], taken[i]);
                    throw;
                }
            }
            finally
            {
                tally.Gate.Release();
            }
        }
    }

    public void Dispose()
    {
        foreach (var tally in _sales.Values)
            tally.Dispose();
    }

    private sealed class SaleTally : IDisposable
    {
        // [0] attempts, then one per RefusalReasons.All entry.
        public readonly long[] Pending = new long[1 + RefusalReasons.All.Length];
        public readonly SemaphoreSlim Gate = new(1, 1);
        public long LastFlush = Environment.TickCount64;

        public void Dispose() => Gate.Dispose();
        private readonly long[] _bucketSecond = new long[8];
        private readonly long[] _bucketCount = new long[8];

        public void Tick(long second)
        {
            var slot = (int)(second & 7);
            if (Interlocked.Read(ref _bucketSecond[slot]) != second)
            {
                lock (_bucketSecond)
                {
                    if (_bucketSecond[slot] != second)
                    {
                        Interlocked.Exchange(ref _bucketCount[slot], 0);
                        Interlocked.Exchange(ref _bucketSecond[slot], second);
                    }
                }
            }
            Interlocked.Increment(ref _bucketCount[slot]);
        }

        /// <summary>Attempts in the <paramref name="seconds"/> whole seconds before the current one.</summary>
        public long Recent(long now, int seconds)
        {
            long sum = 0;
            for (var s = now - seconds; s < now; s++)
            {
                var slot = (int)(s & 7);
                if (Interlocked.Read(ref _bucketSecond[slot]) == s)
                    sum += Interlocked.Read(ref _bucketCount[slot]);
            }
            return sum;
        }
    }
}
