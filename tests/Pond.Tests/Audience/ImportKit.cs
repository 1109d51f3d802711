using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pond.Audience.Import;
using Pond.Tests.Customers;
using Pond.Tests.Infrastructure;

namespace Pond.Tests.Audience;

/// <summary>Uploading import files over HTTP and waiting for their jobs.</summary>
internal static class ImportKit
{
    public static async Task<HttpResponseMessage> UploadAsync(this HttpClient client, string kind, string csv, string fileName = "import.csv")
    {
        using var content = new MultipartFormDataContent();
        content.Add(new StringContent(kind), "kind");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        content.Add(file, "file", fileName);
        return await client.PostAsync("/api/imports", content);
    }

    /// <summary>Uploads and waits until the worker has finished the job.</summary>
    public static async Task<ImportJob> ImportAsync(this HttpClient client, string kind, string csv, string fileName = "import.csv")
    {
        var job = await (await client.UploadAsync(kind, csv, fileName)).ReadAsync<ImportJob>(HttpStatusCode.Created);
        return await client.WaitAsync(job.Id);
    }

    public static async Task<ImportJob> WaitAsync(this HttpClient client, Guid id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await client.GetAsync<ImportJob>($"/api/imports/{id}");
            if (job.State is ImportStates.Done or ImportStates.Failed)
                return job;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Import {id} is still {job.State} after 60 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>The rejects file as (line, reason, row) rows.</summary>
    public static async Task<List<(long Line, string Reason, string Row)>> RejectsAsync(this HttpClient client, Guid id)
    {
        var response = await client.GetAsync($"/api/imports/{id}/rejects.csv");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF }, "the rejects file starts with a UTF-8 BOM for Excel");
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8);
        using var csv = new CsvHelper.CsvParser(reader, System.Globalization.CultureInfo.InvariantCulture);
        csv.Read().ShouldBeTrue();
        csv.Record.ShouldBe(["line", "reason", "row"]);
        var rows = new List<(long, string, string)>();
        while (csv.Read())
            rows.Add((long.Parse(csv.Record![0], System.Globalization.CultureInfo.InvariantCulture), csv.Record[1], csv.Record[2]));
        return rows;
    }
}
