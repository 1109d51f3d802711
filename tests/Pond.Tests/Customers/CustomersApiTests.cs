using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Customers;
using Pond.Storage;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Customers;

public sealed class CustomersApiTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_Search_FindsByNamePhoneDigitsAndAnyIdentity(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var xiaomei = await seed.CustomerAsync("王小美", phone: "13812345678");
        var lilei = await seed.CustomerAsync("Li Lei", email: "lilei@example.com");
        await seed.IdentityAsync(lilei, IdentityKinds.WechatUnionId, "oUnionLiLei01");
        await seed.CustomerAsync("张三", phone: "13900001111");
        var client = server.Workspace.AdminClient();

        async Task<Guid[]> Search(string term) =>
            (await client.GetAsync<CustomerPage>($"/api/customers?search={Uri.EscapeDataString(term)}")).Items.Select(c => c.Id).ToArray();

        (await Search("小美")).ShouldBe([xiaomei]);
        (await Search("li lei")).ShouldBe([lilei]);
        (await Search("13812345678")).ShouldBe([xiaomei]);
        (await Search("5678")).ShouldBe([xiaomei]);
        (await Search("oUnionLiLei01")).ShouldBe([lilei]);
        (await Search("LILEI@example.com")).ShouldBe([lilei]);
        (await Search("nobody-here")).ShouldBeEmpty();
        (await Search("%")).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_MasksPhoneAndEmail(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        await seed.CustomerAsync("王小美", phone: "13812345678", email: "lily@example.com");

        var response = await server.Workspace.AdminClient().GetAsync("/api/customers");
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldNotContain("13812345678");
        body.ShouldNotContain("lily@example.com");
        var row = (await response.ReadAsync<CustomerPage>()).Items.ShouldHaveSingleItem();
        row.Phone.ShouldBe("138****5678");
        row.Email.ShouldBe("l***@example.com");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_FiltersByDepthCarrierStaffAndConsent(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var account = await seed.CarrierAsync(CarrierKinds.WecomAccount, "小美的企业微信", "xiaomei", mei);
        var group = await seed.CarrierAsync(CarrierKinds.GroupChat, "会员1群", "wrGroup1");
        var friend = await seed.CustomerAsync("好友", Depth.Friend, owner: mei);
        await seed.RelationshipAsync(friend, account, seed.Next());
        var member = await seed.CustomerAsync("群友", Depth.Community, optedOut: true);
        await seed.RelationshipAsync(member, group, seed.Next());
        var former = await seed.CustomerAsync("前群友", Depth.Fan);
        await seed.RelationshipAsync(former, group, seed.Next(), endedAt: seed.Next(), endedBy: EndedBy.Customer);
        var client = server.Workspace.AdminClient();

        async Task<Guid[]> Filter(string query) =>
            (await client.GetAsync<CustomerPage>($"/api/customers?{query}")).Items.Select(c => c.Id).ToArray();

        (await Filter("depth=friend")).ShouldBe([friend]);
        (await Filter("depth=community")).ShouldBe([member]);
        (await Filter("depth=fan")).ShouldBe([former]);
        (await Filter($"carrier={group}")).ShouldBe([member]);
        (await Filter($"carrier={account}")).ShouldBe([friend]);
        (await Filter($"staff={mei}")).ShouldBe([friend]);
        (await Filter("consent=opted_out")).ShouldBe([member]);
        (await Filter("consent=opted_in")).ShouldBe([former, friend]);
        (await Filter($"depth=community&consent=opted_in")).ShouldBeEmpty();
        var page = await client.GetAsync<CustomerPage>($"/api/customers?staff={mei}");
        page.Items.ShouldHaveSingleItem().OwnerStaffName.ShouldBe("小美");
        page.Items[0].Depth.ShouldBe("friend");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_CursorPagination_VisitsEveryCustomerOnceNewestFirst(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var ids = new List<Guid>();
        for (var i = 0; i < 23; i++)
            ids.Add(await seed.CustomerAsync($"客户{i:00}"));
        var client = server.Workspace.AdminClient();

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.GetAsync<CustomerPage>($"/api/customers?limit=5{(cursor is null ? "" : $"&cursor={cursor}")}");
            page.Items.Count.ShouldBeLessThanOrEqualTo(5);
            seen.AddRange(page.Items.Select(c => c.Id));
            cursor = page.NextCursor;
            if (pages++ == 0)
                await seed.CustomerAsync("arrived while paging"); // newer than every cursor: must not shift later pages
        }
        while (cursor is not null);

        pages.ShouldBe(5);
        seen.ShouldBe(Enumerable.Reverse(ids).ToList());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_BadInput_Answers400SayingWhatToFix(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var client = server.Workspace.AdminClient();

        async Task<string> Bad(string query) =>
            (await (await client.GetAsync($"/api/customers?{query}")).ProblemAsync(HttpStatusCode.BadRequest)).Detail();

        (await Bad("depth=deep")).ShouldContain("friend");
        (await Bad("consent=maybe")).ShouldContain("opted_out");
        (await Bad("cursor=not-a-cursor")).ShouldContain("nextCursor");
        (await Bad("limit=0")).ShouldContain("1 to 200");
        (await Bad("limit=201")).ShouldContain("1 to 200");
        (await Bad("limit=ten")).ShouldContain("1 to 200");
        (await Bad("carrier=abc")).ShouldContain("carrier");
        (await Bad($"carrier={Guid.CreateVersion7()}")).ShouldContain("No carrier");
        (await Bad($"staff={Guid.CreateVersion7()}")).ShouldContain("No staff member");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Detail_ShowsIdentitiesRelationshipsTraitsConsentAndMergeHistory(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var mei = await seed.StaffAsync("小美");
        var account = await seed.CarrierAsync(CarrierKinds.WecomAccount, "小美的企业微信", "xiaomei", mei);
        var group = await seed.CarrierAsync(CarrierKinds.GroupChat, "会员1群", "wrGroup1");
        var id = await seed.CustomerAsync("王小美", Depth.Friend, owner: mei, phone: "13812345678", email: "lily@example.com",
            traits: new { city = "上海", phone = "13812345678" });
        await seed.IdentityAsync(id, IdentityKinds.WechatUnionId, "oUnion1");
        var since = seed.Next();
        await seed.RelationshipAsync(id, account, since, sourceChannel: "package_card");
        var left = seed.Next();
        await seed.RelationshipAsync(id, group, left, endedAt: left.AddDays(3), endedBy: EndedBy.Customer);
        var older = Guid.CreateVersion7();
        var oldest = Guid.CreateVersion7();
        await seed.MergeAsync(id, older, seed.Next(), (IdentityKinds.TmallBuyerId, "tb001"), (IdentityKinds.Phone, "13812345678"));
        await seed.MergeAsync(older, oldest, seed.Next(), (IdentityKinds.JdBuyerId, "jd_01"));

        var detail = await server.Workspace.AdminClient().GetAsync<CustomerDetail>($"/api/customers/{id}");

        detail.DisplayName.ShouldBe("王小美");
        detail.Depth.ShouldBe("friend");
        detail.OwnerStaffId.ShouldBe(mei);
        detail.OwnerStaffName.ShouldBe("小美");
        detail.Consent.MarketingOptOut.ShouldBeFalse();
        detail.PersonalDataVisible.ShouldBeTrue();
        detail.Traits["city"].GetString().ShouldBe("上海");
        detail.Traits["phone"].GetString().ShouldBe("13812345678");
        detail.Identities.Select(i => (i.Kind, i.Value)).ShouldBe(
            [(IdentityKinds.Email, "lily@example.com"), (IdentityKinds.Phone, "13812345678"), (IdentityKinds.WechatUnionId, "oUnion1")], ignoreOrder: true);

        detail.Relationships.Count.ShouldBe(2);
        var live = detail.Relationships.Single(r => r.CarrierId == account);
        live.CarrierName.ShouldBe("小美的企业微信");
        live.CarrierKind.ShouldBe(CarrierKinds.WecomAccount);
        live.Depth.ShouldBe("friend");
        live.State.ShouldBe(RelationshipStates.Active);
        live.Since.ShouldBe(since);
        live.SourceChannel.ShouldBe("package_card");
        var ended = detail.Relationships.Single(r => r.CarrierId == group);
        ended.State.ShouldBe(RelationshipStates.Ended);
        ended.Depth.ShouldBe("community");
        ended.EndedAt.ShouldBe(left.AddDays(3));
        ended.EndedBy.ShouldBe(EndedBy.Customer);

        detail.Merges.Select(m => (m.MergedId, m.IntoId)).ShouldBe([(oldest, older), (older, id)]);
        detail.Merges.Single(m => m.MergedId == older).Identities.Select(i => i.Value).ShouldBe(["tb001", "13812345678"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Detail_OfMergedAwayId_Answers404NamingTheFinalSurvivor(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var survivor = await seed.CustomerAsync("王小美");
        var middle = Guid.CreateVersion7();
        var first = Guid.CreateVersion7();
        await seed.MergeAsync(middle, first, seed.Next());
        await seed.MergeAsync(survivor, middle, seed.Next());
        var client = server.Workspace.AdminClient();

        var problem = await (await client.GetAsync($"/api/customers/{first}")).ProblemAsync(HttpStatusCode.NotFound);
        problem.GetProperty("mergedInto").GetGuid().ShouldBe(survivor);
        problem.Detail().ShouldContain(survivor.ToString());

        var unknown = await (await client.GetAsync($"/api/customers/{Guid.CreateVersion7()}")).ProblemAsync(HttpStatusCode.NotFound);
        unknown.TryGetProperty("mergedInto", out _).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Timeline_PagesNewestFirst_AndRejectsBadCursor(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var id = await seed.CustomerAsync("王小美");
        var other = await seed.CustomerAsync("张三");
        var at = seed.Next();
        for (var i = 0; i < 12; i++)
            await seed.EventAsync(id, $"Event {i:00}", at.AddMinutes(i / 2), new { n = i }); // pairs share a timestamp
        await seed.EventAsync(other, "Not hers", at);
        var client = server.Workspace.AdminClient();

        var names = new List<string?>();
        string? cursor = null;
        do
        {
            var page = await client.GetAsync<TimelinePage>($"/api/customers/{id}/events?limit=5{(cursor is null ? "" : $"&cursor={cursor}")}");
            names.AddRange(page.Items.Select(e => e.Name));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        names.ShouldBe(Enumerable.Range(0, 12).Reverse().Select(i => (string?)$"Event {i:00}").ToList());
        var first = (await client.GetAsync<TimelinePage>($"/api/customers/{id}/events?limit=1")).Items.ShouldHaveSingleItem();
        first.Properties.GetProperty("n").GetInt32().ShouldBe(11);
        first.Type.ShouldBe("track");

        (await (await client.GetAsync($"/api/customers/{id}/events?cursor=zzz")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("cursor");
        (await (await client.GetAsync($"/api/customers/{id}/events?limit=500")).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("limit");
        await (await client.GetAsync($"/api/customers/{Guid.CreateVersion7()}/events")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Consent_OptOutThenIn_ChangesTheCustomerAndIsAudited(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine);
        var seed = new CustomerSeed(server.Workspace);
        var id = await seed.CustomerAsync("王小美");
        var client = server.Workspace.AdminClient();

        var optedOut = await (await client.PutAsJsonAsync($"/api/customers/{id}/consent", new { marketingOptOut = true })).ReadAsync<ConsentView>();
        optedOut.MarketingOptOut.ShouldBeTrue();
        optedOut.OptedOutAt.ShouldNotBeNull();
        (await client.GetAsync<CustomerPage>("/api/customers?consent=opted_out")).Items.ShouldHaveSingleItem().Id.ShouldBe(id);

        var optedIn = await (await client.PutAsJsonAsync($"/api/customers/{id}/consent", new { marketingOptOut = false })).ReadAsync<ConsentView>();
        optedIn.MarketingOptOut.ShouldBeFalse();
        optedIn.OptedOutAt.ShouldBeNull();
        (await client.GetAsync<CustomerDetail>($"/api/customers/{id}")).Consent.MarketingOptOut.ShouldBeFalse();

        var audit = await client.GetAsync<List<AuditLog.Entry>>("/api/audit");
        audit.Where(e => e.Target == id.ToString()).Select(e => e.Action).ShouldBe(["customer.opt_in", "customer.opt_out"], ignoreOrder: true);
        audit.First(e => e.Action == "customer.opt_out").Actor.ShouldStartWith("key:sk_");

        (await (await client.PutAsJsonAsync($"/api/customers/{id}/consent", new { })).ProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("marketingOptOut");
        await (await client.PutAsJsonAsync($"/api/customers/{Guid.CreateVersion7()}/consent", new { marketingOptOut = true })).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Detail_ForAnalyst_MasksPersonalData(DbEngine engine)
    {
        await using var server = await PondServer.StartAsync(engine, TestSignIn.Configure);
        var seed = new CustomerSeed(server.Workspace);
        var id = await seed.CustomerAsync("王小美", phone: "13812345678", email: "lily@example.com", traits: new { phone = "13812345678", city = "上海" });
        await seed.MergeAsync(id, Guid.CreateVersion7(), seed.Next(), (IdentityKinds.Phone, "13812345678"));
        var analyst = await server.Workspace.MemberClientAsync(Roles.Analyst);

        var response = await analyst.GetAsync($"/api/customers/{id}");
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldNotContain("13812345678");
        body.ShouldNotContain("lily@example.com");
        var detail = await response.ReadAsync<CustomerDetail>();
        detail.PersonalDataVisible.ShouldBeFalse();
        detail.Identities.Single(i => i.Kind == IdentityKinds.Phone).Value.ShouldBe("138****5678");
        detail.Traits["phone"].GetString().ShouldBe("138****5678");
        detail.Traits["city"].GetString().ShouldBe("上海");
    }
}
