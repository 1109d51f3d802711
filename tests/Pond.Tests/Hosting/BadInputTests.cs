using System.Net;
using System.Text;
using System.Text.Json;
using Pond.Storage;

namespace Pond.Tests.Hosting;

/// <summary>Malformed requests get a 4xx problem that says what to fix, never a bare status or a 500.</summary>
public sealed class BadInputTests
{
    private static async Task<(HttpStatusCode Status, string? Title, string? Detail)> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = problem.RootElement;
        return (response.StatusCode,
            root.TryGetProperty("title", out var title) ? title.GetString() : null,
            root.TryGetProperty("detail", out var detail) ? detail.GetString() : null);
    }

    [Fact]
    public async Task AdminApi_TruncatedJson_Is400NamingTheProblem()
    {
        await using var server = await Infrastructure.PondServer.StartAsync(DbEngine.Sqlite, runEngines: false);
        using var admin = server.Workspace.AdminClient();

        var (status, title, detail) = await PostAsync(admin, "/api/staff", "{\"name\": \"林晓雯\"");

        status.ShouldBe(HttpStatusCode.BadRequest);
        title.ShouldBe("Malformed JSON");
        detail.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task AdminApi_WrongTypeForAField_Is400NamingTheField()
    {
        await using var server = await Infrastructure.PondServer.StartAsync(DbEngine.Sqlite, runEngines: false);
        using var admin = server.Workspace.AdminClient();

        var (status, _, detail) = await PostAsync(admin, "/api/carriers",
            "{\"kind\": \"wecom_account\", \"name\": \"企业微信·林晓雯\", \"externalId\": \"LilyGuide01\", \"ownerStaffId\": \"not-a-uuid\"}");

        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldNotBeNull();
        detail.ShouldContain("ownerStaffId");
    }
}
