using System.Globalization;
using Pond.Bench.Ingestion;
using Pond.Storage;

namespace Pond.Bench;

/// <summary>
/// `dotnet run -c Release --project bench/Pond.Bench -- ingest [--engine sqlite|postgres|both] [--events N] [--senders N] [--batch N]`,
/// `-- callbacks [--events N] [--senders N]`, `-- import [--rows 1000000] [--apply true|false]`, `-- scores [--engine …] [--customers N]`,
/// `-- audience [--customers N] [--events N] [--runs N] [--apply N]`, `-- coupons [--engine …] [--coupons N] [--clients N]`,
/// `-- points [--engine …] [--requests N] [--clients N]`,
/// `-- flashsale [--engine sqlite|postgres|both] [--attempts N] [--clients N] [--stock N] [--customers N]`,
/// `-- referrals [--engine sqlite|postgres|both] [--adds N] [--participants N]`,
/// or `-- lottery [--engine sqlite|postgres|both] [--customers N] [--clients N]`.
/// </summary>
internal static class BenchCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "callbacks")
            return await CallbacksAsync(args);
        if (args.Length > 0 && args[0] == "import")
            return await ImportAsync(args);
        if (args.Length > 0 && args[0] == "scores")
            return await ScoresAsync(args);
        if (args.Length > 0 && args[0] == "audience")
            return await AudienceAsync(args);
        if (args.Length > 0 && args[0] == "coupons")
            return await CouponsAsync(args);
        if (args.Length > 0 && args[0] == "points")
            return await PointsAsync(args);
        if (args.Length > 0 && args[0] == "flashsale")
            return await FlashSaleAsync(args);
        if (args.Length > 0 && args[0] == "referrals")
            return await ReferralsAsync(args);
        if (args.Length > 0 && args[0] == "lottery")
            return await LotteryAsync(args);
        if (args.Length > 0 && args[0] == "journeys")
            return await JourneysAsync(args);
        if (args.Length > 0 && args[0] == "insight")
            return await InsightAsync(args);
        if (args.Length == 0 || args[0] != "ingest")
        {
            await Console.Error.WriteLineAsync("usage: Pond.Bench ingest [--engine sqlite|postgres|both] [--events 100000] [--senders 8] [--batch 100] [--process 30000] | callbacks [--events 20000] [--senders 8] | import [--rows 1000000] [--apply true|false] | scores [--engine sqlite|postgres|both] [--customers 1000000] | audience [--customers 1000000] [--events 20000000] [--runs 50] [--sql-runs 5] [--apply 50000] | coupons [--engine sqlite|postgres|both] [--coupons 5000] [--clients 32] | points [--engine sqlite|postgres|both] [--requests 10000] [--clients 64] | flashsale [--engine sqlite|postgres|both] [--attempts 20000] [--clients 64] [--stock 5000] [--customers 20000] | referrals [--engine sqlite|postgres|both] [--adds 20000] [--participants 1000] | lottery [--engine sqlite|postgres|both] [--customers 5000] [--clients 64] | journeys [--engine sqlite|postgres|both] [--customers 1000000] [--baseline 5000] | insight [--customers 1000000] [--events 20000000] [--runs 15] [--sql-runs 5]");
            return 2;
        }

        var settings = new IngestBench.Settings();
        string engine = "sqlite";
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--engine": engine = value; break;
                case "--events": settings = settings with { Events = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--senders": settings = settings with { Senders = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--batch": settings = settings with { BatchSize = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--process": settings = settings with { ProcessEvents = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }

            i++;
        }

        DbEngine[] engines = engine switch
        {
            "sqlite" => [DbEngine.Sqlite],
            "postgres" => [DbEngine.Postgres],
            "both" => [DbEngine.Sqlite, DbEngine.Postgres],
            _ => throw new ArgumentException("--engine is sqlite, postgres or both."),
        };

        var results = new List<IngestBench.Result>();
        foreach (var e in engines)
            results.Add(await IngestBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(IngestBench.Table(results));
        return 0;
    }

    private static async Task<int> ImportAsync(string[] args)
    {
        var settings = new Audience.ImportBench.Settings();
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            settings = args[i] switch
            {
                "--rows" => settings with { Rows = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--apply" => settings with { Apply = bool.Parse(args[i + 1]) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        return await Audience.ImportBench.RunAsync(settings);
    }

    /// <summary>`scores [--engine sqlite|postgres|both] [--customers 1000000] [--orders-per-customer 3]`</summary>
    private static async Task<int> ScoresAsync(string[] args)
    {
        var settings = new Audience.ScoreBench.Settings();
        var engine = "both";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--engine": engine = args[i + 1]; break;
                case "--customers": settings = settings with { Customers = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                case "--orders-per-customer": settings = settings with { OrdersPerCustomer = double.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        DbEngine[] engines = engine switch
        {
            "sqlite" => [DbEngine.Sqlite],
            "postgres" => [DbEngine.Postgres],
            "both" => [DbEngine.Sqlite, DbEngine.Postgres],
            _ => throw new ArgumentException("--engine is sqlite, postgres or both."),
        };
        var results = new List<Audience.ScoreBench.Result>();
        foreach (var e in engines)
            results.Add(await Audience.ScoreBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(Audience.ScoreBench.Table(results));
        return 0;
    }

    /// <summary>`points [--engine sqlite|postgres|both] [--requests 10000] [--clients 64]`</summary>
    private static async Task<int> PointsAsync(string[] args)
    {
        var settings = new Loyalty.PointsBench.Settings();
        var engine = "both";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--engine": engine = args[i + 1]; break;
                case "--requests": settings = settings with { Requests = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                case "--clients": settings = settings with { Clients = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var results = new List<Loyalty.PointsBench.Result>();
        foreach (var e in Engines(engine))
            results.AddRange(await Loyalty.PointsBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(Loyalty.PointsBench.Table(settings, results));
        return results.All(r => r.BooksBalanced) ? 0 : 1;
    }

    /// <summary>`referrals [--engine sqlite|postgres|both] [--adds 20000] [--participants 1000] [--senders 8]`</summary>
    private static async Task<int> ReferralsAsync(string[] args)
    {
        var settings = new Fission.ReferralBench.Settings();
        var engine = "both";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--engine": engine = args[i + 1]; break;
                case "--adds": settings = settings with { Adds = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                case "--participants": settings = settings with { Participants = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                case "--senders": settings = settings with { Senders = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var results = new List<Fission.ReferralBench.Result>();
        foreach (var e in Engines(engine))
            results.Add(await Fission.ReferralBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(Fission.ReferralBench.Table(settings, results));
        return results.All(r => r.Consistent) ? 0 : 1;
    }

    private static async Task<int> CallbacksAsync(string[] args)
    {
        var settings = new Channels.CallbackBench.Settings();
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            settings = args[i] switch
            {
                "--events" => settings with { Events = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--senders" => settings with { Senders = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        var (hooks, tracking) = await Channels.CallbackBench.RunAsync(settings);
        Console.WriteLine();
        Console.WriteLine(Channels.CallbackBench.Table(settings, hooks, tracking));
        return 0;
    }

    private static async Task<int> AudienceAsync(string[] args)
    {
        var settings = new Audience.AudienceBench.Settings();
        for (var i = 1; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--customers" => settings with { Customers = int.Parse(value, CultureInfo.InvariantCulture) },
                "--events" => settings with { Events = long.Parse(value, CultureInfo.InvariantCulture) },
                "--runs" => settings with { Runs = int.Parse(value, CultureInfo.InvariantCulture) },
                "--sql-runs" => settings with { SqlRuns = int.Parse(value, CultureInfo.InvariantCulture) },
                "--apply" => settings with { Apply = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        if (settings.Customers < 1000 || settings.Events < settings.Customers || settings.Runs < 1 || settings.SqlRuns < 1 || settings.Apply < 100)
            throw new ArgumentException("audience needs --customers ≥ 1000, --events ≥ --customers, --runs ≥ 1, --sql-runs ≥ 1 and --apply ≥ 100.");
        var result = await Audience.AudienceBench.RunAsync(settings);
        Console.WriteLine();
        Console.WriteLine(Audience.AudienceBench.Table(result));
        // A count that differs from the SQL means the index is wrong: fail the run.
        return result.Match ? 0 : 1;
    }

    /// <summary>`journeys [--engine sqlite|postgres|both] [--customers 1000000] [--baseline 5000]`</summary>
    private static async Task<int> JourneysAsync(string[] args)
    {
        var settings = new Journeys.JourneyBench.Settings();
        var engine = "both";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--engine": engine = args[i + 1]; break;
                case "--customers": settings = settings with { Customers = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                case "--baseline": settings = settings with { BaselineRuns = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var rows = new List<Journeys.JourneyBench.Result>();
        foreach (var e in Engines(engine))
            rows.Add(await Journeys.JourneyBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(Journeys.JourneyBench.Table(settings, rows));
        return rows.All(r => r.Consistent) ? 0 : 1;
    }

    /// <summary>`insight [--customers 1000000] [--events 20000000] [--runs 15] [--sql-runs 5]` (PostgreSQL: rollups against direct SQL)</summary>
    private static async Task<int> InsightAsync(string[] args)
    {
        var settings = new Analytics.InsightBench.Settings();
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--customers": settings = settings with { Customers = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--events": settings = settings with { Events = long.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--runs": settings = settings with { Runs = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--sql-runs": settings = settings with { SqlRuns = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var (rows, load) = await Analytics.InsightBench.RunAsync(settings);
        Console.WriteLine();
        Console.WriteLine(Analytics.InsightBench.Table(settings, rows, load));
        return rows.All(r => r.Agree) ? 0 : 1;
    }

    /// <summary>`coupons [--engine sqlite|postgres|both] [--coupons 5000] [--clients 32]`</summary>
    private static async Task<int> CouponsAsync(string[] args)
    {
        var settings = new Commerce.CouponBench.Settings();
        var engine = "both";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--engine": engine = args[i + 1]; break;
                case "--coupons": settings = settings with { Coupons = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                case "--clients": settings = settings with { Clients = int.Parse(args[i + 1], CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var rows = new List<Commerce.CouponBench.Row>();
        foreach (var e in Engines(engine))
            rows.AddRange(await Commerce.CouponBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(Commerce.CouponBench.Table(settings, rows));
        return 0;
    }

    /// <summary>`flashsale [--engine sqlite|postgres|both] [--attempts 20000] [--clients 64] [--stock 5000] [--customers 20000]`</summary>
    private static async Task<int> FlashSaleAsync(string[] args)
    {
        var settings = new Activities.FlashSaleBench.Settings();
        var engine = "both";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--engine": engine = value; break;
                case "--attempts": settings = settings with { Attempts = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--clients": settings = settings with { Clients = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--stock": settings = settings with { Stock = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--customers": settings = settings with { Customers = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var sides = new List<Activities.FlashSaleBench.Side>();
        foreach (var e in Engines(engine))
            sides.AddRange(await Activities.FlashSaleBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(Activities.FlashSaleBench.Table(settings, sides));
        return 0;
    }

    /// <summary>`lottery [--engine sqlite|postgres|both] [--customers 5000] [--clients 64]`</summary>
    private static async Task<int> LotteryAsync(string[] args)
    {
        var settings = new Fission.LotteryBench.Settings();
        var engine = "both";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--engine": engine = value; break;
                case "--customers": settings = settings with { Customers = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--clients": settings = settings with { Clients = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var sides = new List<Fission.LotteryBench.Side>();
        foreach (var e in Engines(engine))
            sides.AddRange(await Fission.LotteryBench.RunAsync(e, settings));
        Console.WriteLine();
        Console.WriteLine(Fission.LotteryBench.Table(settings, sides));
        return 0;
    }

    private static DbEngine[] Engines(string engine) => engine switch
    {
        "sqlite" => [DbEngine.Sqlite],
        "postgres" => [DbEngine.Postgres],
        "both" => [DbEngine.Sqlite, DbEngine.Postgres],
        _ => throw new ArgumentException("--engine is sqlite, postgres or both."),
    };
}
