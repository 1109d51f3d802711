using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pond.Storage;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;
using Pond.Tests.Workspaces;
using Pond.Workspaces;

namespace Pond.Tests.Content;

/// <summary>The content library's console pages render for each role on both engines, in Chinese by default.</summary>
public sealed class ContentPagesTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task LibraryEditorAndDetail_Render_AndTheStaffRoleSeesNoUploadForm(DbEngine engine)
    {
        await using var server = await TestSignIn.StartServerAsync(engine);
        using var admin = server.Workspace.AdminClient();
        var folder = (await (await admin.PostAsJsonAsync("/api/content/folders", new { name = "新客欢迎" })).ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var script = (await (await admin.PostAsJsonAsync("/api/content/items", new { kind = "text", title = "首单欢迎话术", body = "{name}您好！https://shop.lumilane.cn/new", trackLinks = true, folderId = folder, tags = new[] { "欢迎" } }))
            .ReadAsync<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await admin.PostAsync("/api/content/files", ContentLibraryTests.Form(ContentLibraryTests.Png(), "海报.png", ("kind", "poster"), ("folderId", folder.ToString())));

        using var owner = await server.Workspace.SignedInClientAsync(server.Workspace.OwnerEmail);
        var library = await owner.PageAsync("/content");
        library.ShouldContain("素材库");
        library.ShouldContain("新客欢迎");
        library.ShouldContain("首单欢迎话术");
        library.ShouldContain("data-content-upload");
        (await owner.PageAsync($"/content?folder={folder}&kind=poster")).ShouldNotContain("首单欢迎话术");
        (await owner.PageAsync("/content?q=欢迎话术")).ShouldContain("首单欢迎话术");
        var editor = await owner.PageAsync($"/content/{script}/edit");
        editor.ShouldContain("{trait.city}");
        editor.ShouldContain("hx-post=\"/content/preview\"");
        var detail = await owner.PageAsync($"/content/{script}");
        detail.ShouldContain("追踪链接");
        detail.ShouldContain("https://shop.lumilane.cn/new");
        (await owner.PageAsync("/content/new?kind=mini_program")).ShouldContain("小程序 appid");

        using var staff = await server.Workspace.MemberClientAsync(Roles.Staff, await new CustomerSeed(server.Workspace).StaffAsync("小美"));
        var seen = await staff.PageAsync("/content");
        seen.ShouldContain("首单欢迎话术");
        seen.ShouldNotContain("data-content-upload");
        (await staff.GetAsync("/content/new")).StatusCode.ShouldNotBe(HttpStatusCode.OK);
    }
}
