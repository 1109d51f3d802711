using System.Net;
using System.Net.Http.Json;
using Pond.Customers;
using Pond.Staff;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Ingestion;
using Pond.Tests.Workspaces;
using Pond.Tests.WeCom;
using Pond.WeCom;

namespace Pond.Tests.Staff;

/// <summary>
/// 安安 (Amy) holds a WeCom account, a group and N customers (wmCustomer1…N) who befriended her through a package
/// card; 贝贝 (Bea) and 小猫 (Cat) each hold a WeCom account. Optionally connected to a WeCom stand-in.
/// </summary>
internal sealed class HandoverScene : IAsyncDisposable
{
    public PondServer Server { get; private init; } = null!;
    public HttpClient Admin { get; private init; } = null!;
    public StaffMember Amy { get; private set; } = null!;
    public StaffMember Bea { get; private set; } = null!;
    public StaffMember Cat { get; private set; } = null!;
    public CarrierAccount AmyWecom { get; private set; } = null!;
    public CarrierAccount BeaWecom { get; private set; } = null!;
    public CarrierAccount AmyGroup { get; private set; } = null!;

    /// <summary>The customers in the order they were befriended.</summary>
    public List<Guid> Customers { get; } = [];

    public static async Task<HandoverScene> StartAsync(DbEngine engine, int customers, WeComServerStandIn? wecom = null, bool signIn = false)
    {
        var server = await PondServer.StartAsync(engine, signIn ? TestSignIn.Configure : null, runEngines: false);
        var scene = new HandoverScene { Server = server, Admin = server.Workspace.AdminClient() };
        scene.Amy = await scene.StaffAsync("安安", "amy");
        scene.Bea = await scene.StaffAsync("贝贝", "bea");
        scene.Cat = await scene.StaffAsync("小猫", "cat");
        scene.AmyWecom = await scene.Admin.GetAsync<CarrierAccount>($"/api/carriers/{await scene.CarrierAsync("wecom_account", "安安的企业微信", "amy", scene.Amy.Id)}");
        scene.BeaWecom = await scene.Admin.GetAsync<CarrierAccount>($"/api/carriers/{await scene.CarrierAsync("wecom_account", "贝贝的企业微信", "bea", scene.Bea.Id)}");
        await scene.CarrierAsync("wecom_account", "小猫的企业微信", "cat", scene.Cat.Id);
        scene.AmyGroup = await scene.Admin.GetAsync<CarrierAccount>($"/api/carriers/{await scene.CarrierAsync("group_chat", "安安的会员群", "wrAmyGroup", scene.Amy.Id)}");
        for (var i = 1; i <= customers; i++)
        {
            await scene.BefriendAsync($"customer-{i}", $"wmCustomer{i}", "wecom_account", "amy");
            scene.Customers.Add((await server.CustomerOfAsync(server.Workspace.Id, IdentityKinds.UserId, $"customer-{i}"))!.Value);
        }

        if (wecom is not null)
        {
            await server.Service<WeComConnections>().SaveAsync(server.Workspace.Id, new WeComConnectionInput
            {
                CorpId = WeComServerStandIn.CorpId, Token = "pondtoken", EncodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", Secret = WeComServerStandIn.Secret,
                ApiBaseUrl = wecom.BaseUrl.ToString(),
            }, "tests");
        }

        return scene;
    }

    private async Task<StaffMember> StaffAsync(string name, string wecomUserId) =>
        await (await Admin.PostAsJsonAsync("/api/staff", new { name, wecomUserId })).ReadAsync<StaffMember>(HttpStatusCode.Created);

    public async Task<Guid> CarrierAsync(string kind, string name, string externalId, Guid owner) =>
        (await (await Admin.PostAsJsonAsync("/api/carriers", new { kind, name, externalId, ownerStaffId = owner })).ReadAsync<CarrierAccount>(HttpStatusCode.Created)).Id;

    /// <summary>The customer tells Pond who they are, then befriends a staff account; the processor applies both.</summary>
    public async Task BefriendAsync(string userId, string? externalUserId, string carrierKind, string carrierId)
    {
        var tracking = Server.Workspace.TrackingClient();
        var traits = externalUserId is null
            ? (object)new { name = $"客户 {userId}" }
            : new { name = $"客户 {userId}", wecom_external_userid = externalUserId };
        await tracking.SendOkAsync("/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", userId, messageId = $"{userId}-identify-{carrierId}", traits },
                new
                {
                    type = "track", userId, messageId = $"{userId}-friend-{carrierId}", @event = "Relationship Started",
                    properties = new { carrier_kind = carrierKind, carrier_id = carrierId, source_channel = "pkg-card" },
                },
            },
        });
        await Server.ProcessAsync();
    }

    /// <summary>Many customers (customer-{first}…) befriend Amy's WeCom account in one batch.</summary>
    public async Task BefriendManyAsync(int first, int count)
    {
        var tracking = Server.Workspace.TrackingClient();
        var batch = new List<object>();
        for (var i = first; i < first + count; i++)
        {
            batch.Add(new { type = "identify", userId = $"customer-{i}", messageId = $"customer-{i}-identify", traits = new { name = $"客户 {i}", wecom_external_userid = $"wmCustomer{i}" } });
            batch.Add(new
            {
                type = "track", userId = $"customer-{i}", messageId = $"customer-{i}-friend", @event = "Relationship Started",
                properties = new { carrier_kind = "wecom_account", carrier_id = "amy", source_channel = "pkg-card" },
            });
        }

        await tracking.SendOkAsync("/v1/batch", new { batch });
        await Server.ProcessAsync();
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
