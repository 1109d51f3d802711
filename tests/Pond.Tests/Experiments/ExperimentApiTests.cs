using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Pond.Channels;
using Pond.Experiments;
using Pond.Server.Channels;
using Pond.Storage;
using Pond.Tests.Activities;
using Pond.Tests.Audience;
using Pond.Tests.Channels;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Journeys;
using Pond.Tests.Workspaces;

namespace Pond.Tests.Experiments;

/// <summary>Experiments over HTTP on both engines: assignment through the link, results from real visits, adds and orders, verdicts, SRM, bad input.</summary>
public sealed class ExperimentApiTests
{
    [Fact]
    public void Assignment_IsDeterministic_AndSplitsCloseToTheWeights()
    {
        var experiment = Guid.CreateVersion7();
        ExperimentAssignment.Variant(experiment, "visitor-1", [1, 1]).ShouldBe(ExperimentAssignment.Variant(experiment, "visitor-1", [1, 1]));
        foreach (int[] weights in new[] { new[] { 1, 1 }, [2, 1, 1], [10, 90] })
        {
            var counts = new int[weights.Length];
            for (var i = 0; i < 100_000; i++)
                counts[ExperimentAssignment.Variant(experiment, $"v{i}", weights)]++;
            for (var k = 0; k < weights.Length; k++)
                (counts[k] / 100_000.0).ShouldBe((double)weights[k] / weights.Sum(), 0.01, $"weights {string.Join(":", weights)}, variant {k}");
        }

        // Another experiment re-draws the split: the same visitors do not land in the same variants.
        var other = Guid.CreateVersion7();
        Enumerable.Range(0, 1000).Count(i => ExperimentAssignment.Variant(experiment, $"v{i}", [1, 1]) == ExperimentAssignment.Variant(other, $"v{i}", [1, 1]))
            .ShouldBeInRange(400, 600);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task LiveCodeExperiment_AssignsVisitorsByLink_CountsAdds_AndCallsAWinnerOnlyAfterThePlannedSample(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var admin = setup.Admin;
        var codeB = await (await admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = setup.Channel.Id, kind = LiveCodeKinds.Staff, name = "包裹卡-红包版", strategy = RoutingStrategies.RoundRobin,
            welcomeText = "你好，红包已到账", members = setup.Accounts.Select(a => new { carrierId = a.Id }).ToArray(),
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created);

        var created = await (await admin.PostAsJsonAsync("/api/experiments", new
        {
            name = "包裹卡钩子: 小样 vs 红包", kind = "live_code",
            variants = new object[]
            {
                new { name = "小样", codeId = setup.Code.Code.Id },
                new { name = "红包", codeId = codeB.Code.Id, hook = "扫码领 ¥5 红包" },
            },
            samplePerGroup = 40,
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var id = created.GetProperty("experiment").GetProperty("id").GetGuid();
        var slug = created.GetProperty("experiment").GetProperty("slug").GetString()!;
        created.GetProperty("link").GetString()!.ShouldEndWith($"/x/{slug}");
        created.GetProperty("experiment").GetProperty("warnings").GetArrayLength().ShouldBe(1, "40 per group is below the rule of thumb");
        created.GetProperty("results").GetProperty("verdict").GetProperty("kind").GetString().ShouldBe("draft");
        (await admin.PostAsync($"/api/experiments/{id}/start", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Visitors come through the experiment's link; each sees their variant's landing, and again on a second visit.
        var byVariant = new List<Visitor>[] { [], [] };
        async Task VisitAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var visitor = setup.NewVisitor();
                var html = await visitor.Client.PageAsync($"/x/{slug}");
                var variant = Variant(html);
                byVariant[variant].Add(visitor);
                if (variant == 1)
                    html.ShouldContain("扫码领 ¥5 红包");
                else
                    html.ShouldContain("扫码领取 ¥20 无门槛券");
                if (i % 10 == 0)
                    Variant(await visitor.Client.PageAsync($"/x/{slug}")).ShouldBe(variant, "the same visitor lands in the same variant");
            }
        }

        await VisitAsync(60);
        // Adds credited to each variant's code: the red-packet hook converts much better.
        var adds = 0;
        async Task AddAsync(string state, int count)
        {
            for (var i = 0; i < count; i++)
                await setup.CallbackOkAsync(setup.WeCom.AddExternalContact("xiaomei", $"wmExp{adds++}", DateTimeOffset.UtcNow, state));
            await setup.ProcessAsync();
        }

        await AddAsync(setup.Code.Code.State, byVariant[0].Count / 5);
        await AddAsync(codeB.Code.State, byVariant[1].Count * 7 / 10);
        var early = await admin.GetAsync<JsonElement>($"/api/experiments/{id}");
        var smallest = Math.Min(byVariant[0].Count, byVariant[1].Count);
        if (smallest < 40)
        {
            early.GetProperty("results").GetProperty("verdict").GetProperty("kind").GetString().ShouldBe("collecting", "no winner before the planned sample");
            early.GetProperty("results").GetProperty("verdict").GetProperty("variant").ValueKind.ShouldBe(JsonValueKind.Null);
        }

        await VisitAsync(80);
        var counts = new[] { byVariant[0].Count, byVariant[1].Count };
        var addsA = await ScalarAsync(server, "SELECT COUNT(*) FROM acquisitions WHERE code_id = @code", setup.Code.Code.Id);
        var addsB = await ScalarAsync(server, "SELECT COUNT(*) FROM acquisitions WHERE code_id = @code", codeB.Code.Id);
        // Top the adds up to 20% and 70% of the final visitor counts.
        await AddAsync(setup.Code.Code.State, (int)Math.Max(0, (counts[0] / 5) - addsA));
        await AddAsync(codeB.Code.State, (int)Math.Max(0, (counts[1] * 7 / 10) - addsB));
        addsA = await ScalarAsync(server, "SELECT COUNT(*) FROM acquisitions WHERE code_id = @code", setup.Code.Code.Id);
        addsB = await ScalarAsync(server, "SELECT COUNT(*) FROM acquisitions WHERE code_id = @code", codeB.Code.Id);

        var view = await admin.GetAsync<JsonElement>($"/api/experiments/{id}");
        var results = view.GetProperty("results");
        results.GetProperty("assigned").EnumerateArray().Select(a => a.GetInt64()).ShouldBe([counts[0], counts[1]]);
        counts.Sum().ShouldBe(140);
        counts.Min().ShouldBeGreaterThan(40, "a 50:50 hash split of 140 visitors");
        var primary = results.GetProperty("primary");
        primary.GetProperty("metric").GetString().ShouldBe("add_rate");
        var variants = primary.GetProperty("variants").EnumerateArray().ToList();
        variants[0].GetProperty("units").GetInt64().ShouldBe(counts[0]);
        variants[0].GetProperty("successes").GetInt64().ShouldBe(addsA);
        variants[1].GetProperty("successes").GetInt64().ShouldBe(addsB);
        var comparison = primary.GetProperty("comparisons")[1];
        var expected = ExperimentStatistics.TwoProportionZTest(new ProportionSummary(counts[0], addsA), new ProportionSummary(counts[1], addsB))!;
        comparison.GetProperty("pValue").GetDouble().ShouldBe(expected.PValue, 1e-12);
        comparison.GetProperty("difference").GetDouble().ShouldBe(expected.Difference, 1e-12);
        results.GetProperty("sampleRatio").GetProperty("mismatch").GetBoolean().ShouldBeFalse();
        var verdict = results.GetProperty("verdict");
        verdict.GetProperty("kind").GetString().ShouldBe("wins");
        verdict.GetProperty("variant").GetInt32().ShouldBe(1);
        results.GetProperty("guardrails").EnumerateArray().Select(g => g.GetProperty("metric").GetString()).ShouldBe(["deletion_rate", "revenue_per_add"]);

        // The results as CSV (BOM for Excel), and the console page.
        var csv = await admin.GetByteArrayAsync($"/api/experiments/{id}/results.csv");
        csv.Take(3).ShouldBe(Encoding.UTF8.GetPreamble());
        var text = Encoding.UTF8.GetString(csv, 3, csv.Length - 3);
        text.ShouldContain($"add_rate,primary,红包,{counts[1]},{addsB},");
        text.ShouldContain("verdict,wins,");

        // A second experiment cannot start on the same codes while this one runs; stopping frees them and keeps the winner on the link.
        var rival = await (await admin.PostAsJsonAsync("/api/experiments", new
        {
            name = "Rival", kind = "live_code", variants = new object[] { new { codeId = setup.Code.Code.Id }, new { codeId = codeB.Code.Id } }, baseline = 0.3, mde = 0.05,
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var rivalId = rival.GetProperty("experiment").GetProperty("id").GetGuid();
        rival.GetProperty("experiment").GetProperty("plannedPerGroup").GetInt64().ShouldBe(ExperimentStatistics.SampleSizeForProportions(0.3, 0.05));
        (await admin.PostAsync($"/api/experiments/{rivalId}/start", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var stopped = await (await admin.PostAsJsonAsync($"/api/experiments/{id}/stop", new { keep = 1 })).ReadAsync<JsonElement>();
        stopped.GetProperty("experiment").GetProperty("status").GetString().ShouldBe("stopped");
        using (var late = setup.NewVisitor())
            Variant(await late.Client.PageAsync($"/x/{slug}")).ShouldBe(1, "after stopping, the link sends everyone to the variant kept");
        (await ScalarAsync(server, "SELECT COUNT(*) FROM experiment_assignments WHERE experiment_id = @code", id)).ShouldBe(140, "no assignment after the stop");
        (await admin.PostAsync($"/api/experiments/{rivalId}/start", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var visitor in byVariant.SelectMany(v => v))
            visitor.Dispose();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SampleRatioMismatch_VoidsTheVerdict(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var codeB = await (await setup.Admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = setup.Channel.Id, kind = LiveCodeKinds.Staff, name = "B", strategy = RoutingStrategies.RoundRobin,
            members = setup.Accounts.Select(a => new { carrierId = a.Id }).ToArray(),
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created);
        var created = await (await setup.Admin.PostAsJsonAsync("/api/experiments", new
        {
            name = "SRM", kind = "live_code", variants = new object[] { new { codeId = setup.Code.Code.Id }, new { codeId = codeB.Code.Id } }, samplePerGroup = 1000,
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var id = created.GetProperty("experiment").GetProperty("id").GetGuid();
        await setup.Admin.PostAsync($"/api/experiments/{id}/start", null);

        // A broken upstream (say B's page failed to log half its visitors): 1,150 against 900 on a planned 50:50.
        await using (var connection = await server.Service<Database>().OpenAsync())
        {
            for (var i = 0; i < 2050; i++)
            {
                await connection.ExecuteAsync("INSERT INTO experiment_assignments (experiment_id, visitor, variant, assigned_at) VALUES (@id, @visitor, @variant, @at)",
                    new { id, visitor = $"srm{i}", variant = i < 1150 ? 0 : 1, at = DateTimeOffset.UtcNow });
            }
        }

        var results = (await setup.Admin.GetAsync<JsonElement>($"/api/experiments/{id}")).GetProperty("results");
        results.GetProperty("sampleRatio").GetProperty("mismatch").GetBoolean().ShouldBeTrue();
        results.GetProperty("sampleRatio").GetProperty("pValue").GetDouble().ShouldBeLessThan(0.001);
        results.GetProperty("verdict").GetProperty("kind").GetString().ShouldBe("srm");
        var page = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);
        (await page.PageAsync($"/experiments/{id}")).ShouldContain("data-verdict=\"srm\"");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task JourneyBranchExperiment_MeasuresOrdersWithinTheWindow_AfterTheWindowCloses(DbEngine engine)
    {
        var clock = new ManualClock(ScoreKit.Now);
        await using var server = await JourneyKit.StartAsync(engine, clock);
        var admin = server.Workspace.AdminClient();
        var journey = await admin.PublishedAsync("Welcome coupon test", new
        {
            trigger = new { kind = "manual" },
            reentry = new { policy = "always" },
            start = "split",
            steps = new object[]
            {
                new { id = "split", kind = "random", branches = new[] { new { label = "85折", percent = 50, next = "a" }, new { label = "满200减30", percent = 50, next = "b" } } },
                new { id = "a", kind = "tag", tag = "A" },
                new { id = "b", kind = "tag", tag = "B" },
            },
        });
        var created = await (await admin.PostAsJsonAsync("/api/experiments", new
        {
            name = "Welcome coupon", kind = "journey_branch", journeyId = journey, stepId = "split", windowDays = 3, samplePerGroup = 100,
            guardrails = new[] { "opt_out_rate", "revenue_per_customer" },
        })).ReadAsync<JsonElement>(HttpStatusCode.Created);
        var id = created.GetProperty("experiment").GetProperty("id").GetGuid();
        created.GetProperty("experiment").GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ShouldBe(["85折", "满200减30"]);
        (await admin.PostAsync($"/api/experiments/{id}/start", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var customers = await server.Workspace.CustomersAsync(400, "exp");
        (await (await admin.PostAsJsonAsync($"/api/journeys/{journey}/enroll", new { customerIds = customers })).ReadAsync<JsonElement>())
            .GetProperty("entered").GetInt32().ShouldBe(400);
        await server.RunDueAsync();
        var branchOf = new Dictionary<Guid, int>();
        await using (var connection = await server.Service<Database>().OpenAsync())
        {
            foreach (var row in await connection.QueryAsync<BranchRow>(
                "SELECT r.customer_id, s.outcome FROM journey_runs r JOIN journey_run_steps s ON s.run_id = r.id AND s.step_id = 'split' WHERE r.journey_id = @journey",
                new { journey }))
                branchOf[row.CustomerId] = row.Outcome == "branch_1" ? 0 : 1;
        }

        branchOf.Count.ShouldBe(400);
        var collecting = (await admin.GetAsync<JsonElement>($"/api/experiments/{id}")).GetProperty("results");
        collecting.GetProperty("verdict").GetProperty("kind").GetString().ShouldBe("collecting", "nobody's 3-day window has closed yet");
        collecting.GetProperty("primary").GetProperty("variants")[0].GetProperty("units").GetInt64().ShouldBe(0);
        collecting.GetProperty("assigned").EnumerateArray().Sum(a => a.GetInt64()).ShouldBe(400);

        var passedAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromDays(5));
        // Orders: 10% of A and 30% of B buy within the window; one more B order comes after the window and must not count.
        var buyers = new[] { 0, 0 };
        var revenue = new[] { 0m, 0m };
        var n = 0;
        foreach (var (customer, branch) in branchOf)
        {
            n++;
            if (n % 10 >= (branch == 0 ? 1 : 3))
                continue;
            buyers[branch]++;
            revenue[branch] += 99;
            await RecordOrderAsync(admin, customer, $"exp-{n}", passedAt.AddHours(5), 99);
        }

        var lateBuyer = branchOf.First(b => b.Value == 1).Key;
        await RecordOrderAsync(admin, lateBuyer, "exp-late", passedAt.AddDays(4), 500);

        var results = (await admin.GetAsync<JsonElement>($"/api/experiments/{id}")).GetProperty("results");
        var units = new[] { branchOf.Values.Count(b => b == 0), branchOf.Values.Count(b => b == 1) };
        var primary = results.GetProperty("primary");
        primary.GetProperty("metric").GetString().ShouldBe("conversion");
        for (var v = 0; v < 2; v++)
        {
            primary.GetProperty("variants")[v].GetProperty("units").GetInt64().ShouldBe(units[v]);
            primary.GetProperty("variants")[v].GetProperty("successes").GetInt64().ShouldBe(buyers[v]);
        }

        var revenueMetric = results.GetProperty("guardrails").EnumerateArray().Single(g => g.GetProperty("metric").GetString() == "revenue_per_customer");
        revenueMetric.GetProperty("variants")[1].GetProperty("value").GetDouble().ShouldBe((double)(revenue[1] / units[1]), 1e-9, "the late ¥500 order is outside the window");
        results.GetProperty("verdict").GetProperty("kind").GetString().ShouldBe(units.Min() >= 100 ? "wins" : "collecting");
        if (units.Min() >= 100)
            results.GetProperty("verdict").GetProperty("variant").GetInt32().ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadInput_Is400_NamingTheField(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var setup = await AcquisitionKit.SetUpAsync(server);
        var admin = setup.Admin;
        var code = setup.Code.Code.Id;
        async Task Expect(object body, string field)
        {
            using var response = await admin.PostAsJsonAsync("/api/experiments", body);
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, text);
            JsonDocument.Parse(text).RootElement.GetProperty("field").GetString().ShouldBe(field, text);
        }

        await Expect(new { kind = "live_code", samplePerGroup = 1000 }, "name");
        await Expect(new { name = "x", kind = "split", samplePerGroup = 1000 }, "kind");
        await Expect(new { name = "x", kind = "live_code", variants = new object[] { new { codeId = code } }, samplePerGroup = 1000 }, "variants");
        await Expect(new { name = "x", kind = "live_code", variants = new object[] { new { codeId = code }, new { codeId = code } }, samplePerGroup = 1000 }, "variants[1].codeId");
        await Expect(new { name = "x", kind = "live_code", variants = new object[] { new { codeId = code }, new { codeId = Guid.NewGuid() } }, samplePerGroup = 1000 }, "variants[1].codeId");
        var other = await (await admin.PostAsJsonAsync("/api/live-codes", new
        {
            channelId = setup.Channel.Id, kind = LiveCodeKinds.Staff, name = "B", strategy = RoutingStrategies.RoundRobin,
            members = setup.Accounts.Select(a => new { carrierId = a.Id }).ToArray(),
        })).ReadAsync<LiveCodeView>(HttpStatusCode.Created);
        var two = new object[] { new { codeId = code }, new { codeId = other.Code.Id, weight = 0 } };
        await Expect(new { name = "x", kind = "live_code", variants = two, samplePerGroup = 1000 }, "variants[1].weight");
        var pair = new object[] { new { codeId = code }, new { codeId = other.Code.Id } };
        await Expect(new { name = "x", kind = "live_code", variants = pair }, "mde");
        await Expect(new { name = "x", kind = "live_code", variants = pair, mde = 0.03 }, "baseline");
        await Expect(new { name = "x", kind = "live_code", variants = pair, baseline = 1.5, mde = 0.03 }, "baseline");
        await Expect(new { name = "x", kind = "live_code", variants = pair, primaryMetric = "revenue_per_visitor", mde = 5 }, "sd");
        await Expect(new { name = "x", kind = "live_code", variants = pair, primaryMetric = "conversion", samplePerGroup = 1000 }, "primaryMetric");
        await Expect(new { name = "x", kind = "live_code", variants = pair, guardrails = new[] { "opt_out_rate" }, samplePerGroup = 1000 }, "guardrails");
        await Expect(new { name = "x", kind = "live_code", variants = pair, alpha = 0.5, samplePerGroup = 1000 }, "alpha");
        await Expect(new { name = "x", kind = "live_code", variants = pair, windowDays = 0, samplePerGroup = 1000 }, "windowDays");
        await Expect(new { name = "x", kind = "journey_branch", samplePerGroup = 1000 }, "journeyId");
        await Expect(new { name = "x", kind = "journey_branch", journeyId = Guid.NewGuid(), stepId = "split", samplePerGroup = 1000 }, "journeyId");

        using var calculator = await admin.PostAsJsonAsync("/api/experiments/calculator", new { metric = "rate", baseline = 0.3, mde = 0.03 });
        var calc = await calculator.ReadAsync<JsonElement>();
        calc.GetProperty("samplePerGroup").GetInt64().ShouldBe(ExperimentStatistics.SampleSizeForProportions(0.3, 0.03));
        using var bad = await admin.PostAsJsonAsync("/api/experiments/calculator", new { metric = "rate", baseline = 0.3 });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/experiments/{Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static int Variant(string html)
    {
        const string marker = "data-variant=\"";
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        at.ShouldBeGreaterThan(-1, html);
        return html[at + marker.Length] - '0';
    }

    private static async Task RecordOrderAsync(HttpClient admin, Guid customerId, string orderId, DateTimeOffset at, decimal amount)
    {
        using var response = await admin.PostAsJsonAsync("/api/orders", new
        {
            orderId, customerId, placedAt = at, salesChannel = "mini_program", privateDomain = true, currency = "CNY", paid = amount,
            items = new[] { new { sku = "LL-01", name = "精华", price = amount, quantity = 1 } },
        });
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"{(int)response.StatusCode} {body}");
    }

    private static async Task<long> ScalarAsync(PondServer server, string sql, Guid code)
    {
        await using var connection = await server.Service<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, new { code });
    }

    private sealed class BranchRow
    {
        public Guid CustomerId { get; init; }
        public string Outcome { get; init; } = "";
    }
}
