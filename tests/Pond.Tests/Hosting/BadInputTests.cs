using System.Net;
using Pond.Storage;
using Pond.Tests.Ingestion;

namespace Pond.Tests.Hosting;

/// <summary>Malformed requests get a 4xx problem that says what to fix, never a bare status or a 500.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task AdminApi_TruncatedJson_Is400NamingTheProblem()
    {
        await using var server = await Infrastructure.PondServer.StartAsync(DbEngine.Sqlite, runEngines: false);
        using var admin = server.Workspace.AdminClient();

        using var response = await admin.PostAsync("/api/staff", "{\"name\": \"林晓雯\"");
        var (status, detail) = await IngestionKit.ProblemAsync(response);

        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task AdminApi_WrongTypeForAField_Is400NamingTheField()
    {
        await using var server = await Infrastructure.PondServer.StartAsync(DbEngine.Sqlite, runEngines: false);
        using var admin = server.Workspace.AdminClient();

        using var response = await admin.PostAsync("/api/carriers",
            "{\"kind\": \"wecom_account\", \"name\": \"企业微信·林晓雯\", \"externalId\": \"LilyGuide01\", \"ownerStaffId\": \"not-a-uuid\"}");
        var (status, detail) = await IngestionKit.ProblemAsync(response);

        status.ShouldBe(HttpStatusCode.BadRequest);
        detail.ShouldContain("ownerStaffId");
    }
}
