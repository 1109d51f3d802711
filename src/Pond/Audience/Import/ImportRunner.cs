using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Dapper;
using Pond.Customers;
using Pond.Ingestion;
using Pond.Storage;

namespace Pond.Audience.Import;

/// <summary>
/// Reads one import file as a stream (a record at a time, never the whole file), checks every row, writes the good
/// ones to the event log as Segment-shaped events and the bad ones to the rejects file with their line and reason.
/// A bad row never stops the rest: each row is judged on its own, and a line break inside quotes is taken as the end
/// of a (malformed) row rather than swallowing the lines after it. Message ids are the job id and the line number
/// (for orders, the order id: see ImportRunner.Orders.cs), so running a job again (a retry, or a resume after a
/// restart) stores nothing twice.
/// </summary>
internal sealed partial class ImportRunner(EventLogWriter log, Database database, TimeProvider clock)
{
    /// <summary>Events handed to the log writer at once; one append is in flight while the next batch is read.</summary>
    private const int EventsPerAppend = 2000;

    /// <summary>Rows of a tag import looked up in the database at once.</summary>
    private const int TagRowsPerLookup = 1000;

    public static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(1);

    public const string TagAdded = "Tag Added";
    public const string TagRemoved = "Tag Removed";

    /// <summary>Reads just the header row, so an upload with an unusable header is refused at once.</summary>
    public static ImportHeader ReadHeader(string kind, string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Header(kind, reader.ReadLine());
    }

    private static ImportHeader Header(string kind, string? line)
    {
        if (line is null)
            throw new ValidationFailedException("The file is empty: the first line must be a header row naming the columns (e.g. phone,name,tags).", "file");
        var fields = new List<string>();
        if (CsvLine.Split(line, fields, new StringBuilder()) is { } problem)
            throw new ValidationFailedException($"The header row is not valid CSV: {problem}.", "file");
        return ImportHeader.Parse(kind, fields);
    }

    public async Task<ImportProgress> RunAsync(ImportJob job, Func<ImportProgress, Task> report, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(job.SourcePath, new FileStreamOptions
        {
            Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 16, Options = FileOptions.SequentialScan,
        });
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);

        Directory.CreateDirectory(Path.GetDirectoryName(job.RejectsPath)!);
        await using var rejectsFile = new StreamWriter(job.RejectsPath, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        await using var rejects = new CsvWriter(rejectsFile, CultureInfo.InvariantCulture);
        rejects.WriteField("line");
        rejects.WriteField("reason");
        rejects.WriteField("row");
        await rejects.NextRecordAsync();

        var lines = new LineReader(reader);
        var header = Header(job.Kind, await lines.ReadLineAsync(cancellationToken));
        var state = new RunState(job, header, rejects);
        var orders = job.Kind == ImportKinds.Orders ? new OrderRows(state, await ZoneAsync(job.WorkspaceId), clock.GetUtcNow()) : null;
        var fields = new List<string>(header.Columns.Count + 1);
        var scratch = new StringBuilder();
        long line = 1;

        var stopwatch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        while (await lines.ReadLineAsync(cancellationToken) is { } raw)
        {
            line++;
            state.Lines++;
            if (raw.Length == 0)
                continue; // a blank line
            if (lines.Truncated)
                raw = raw[..200] + "…";
            // Lines are records: a field may not span lines, so a stray quote costs its own row and never the rows after it.
            var problem = lines.Truncated || raw.Length > (ImportHeader.MaxFieldLength + 3) * header.Columns.Count
                ? $"the row is {(lines.Truncated ? "over a million" : raw.Length.ToString(CultureInfo.InvariantCulture))} characters; a field may be at most {ImportHeader.MaxFieldLength}"
                : CsvLine.Split(raw, fields, scratch) ?? Shape(fields, header);
            if (problem is not null)
            {
                if (orders is not null)
                    orders.Unreadable(line, problem, raw, lines.Truncated ? null : fields);
                else
                    state.Reject(line, problem, raw);
            }
            else
            {
                for (var i = 0; i < fields.Count; i++)
                    fields[i] = CustomerCsvExport.Undefuse(fields[i]);
                if (orders is not null)
                    orders.Row(line, raw, fields);
                else if (job.Kind == ImportKinds.Customers)
                    CustomerRow(state, line, raw, fields);
                else
                    await TagRowAsync(state, line, raw, fields);
            }

            if (state.Pending.Count >= EventsPerAppend)
                await state.FlushAsync(log);
            if (stopwatch.Elapsed - lastReport >= ReportEvery)
            {
                lastReport = stopwatch.Elapsed;
                await report(state.Progress(stream.Position));
            }
        }

        await LookUpTagRowsAsync(state);
        orders?.Finish();
        await state.FlushAsync(log);
        await state.DrainAsync();
        await rejects.FlushAsync();
        var final = state.Progress(stream.Length);
        await report(final);
        return final;
    }

    /// <summary>Problems with the row's shape (column count, field length), or null.</summary>
    private static string? Shape(List<string> record, ImportHeader header)
    {
        if (record.Count > header.Columns.Count)
            return $"too many columns: {record.Count}, the header has {header.Columns.Count} (quote a field that contains a comma)";
        if (record.Count < header.Columns.Count)
            return $"too few columns: {record.Count}, the header has {header.Columns.Count}";
        for (var i = 0; i < record.Count; i++)
        {
            if (record[i].Length > ImportHeader.MaxFieldLength)
                return $"{header.Columns[i].Header}: the field is {record[i].Length} characters; a field may be at most {ImportHeader.MaxFieldLength}";
        }

        return null;
    }

    private static void CustomerRow(RunState state, long line, string raw, List<string> record)
    {
        var header = state.Header;
        var identities = new List<(ImportColumn Column, string Value)>(header.Identities.Count);
        foreach (var column in header.Identities)
        {
            var value = record[column.Index];
            if (string.IsNullOrWhiteSpace(value))
                continue;
            var normalised = MessageIdentities.Normalise(column.Key, value);
            if (ImportValues.IdentityProblem(column.Key, value.Trim(), normalised) is { } problem)
            {
                state.Reject(line, problem, raw);
                return;
            }

            identities.Add((column, normalised));
        }

        if (identities.Count == 0)
        {
            state.Reject(line, $"no identity: fill at least one of {string.Join(", ", header.Identities.Select(c => c.Header))}", raw);
            return;
        }

        var traits = new List<(string Key, JsonNode Value)>(header.Traits.Count);
        List<string> tags;
        try
        {
            foreach (var column in header.Traits)
            {
                if (ImportValues.Trait(column, record[column.Index]) is { } value)
                    traits.Add((column.Key, value));
            }

            tags = header.Tags is { } tagColumn ? ImportValues.Tags(record[tagColumn.Index]) : [];
        }
        catch (FormatException e)
        {
            state.Reject(line, e.Message, raw);
            return;
        }

        var name = header.Name is { } nameColumn ? record[nameColumn.Index].Trim() : "";
        var json = state.Json;
        state.Buffer.ResetWrittenCount();
        json.Reset(state.Buffer);
        var messageId = MessageId(state.Job.Id, line, null);
        json.WriteStartObject();
        json.WriteString("type", "identify");
        json.WriteString("messageId", messageId);
        WriteIdentities(json, identities, state.Timestamp);
        json.WriteStartObject("traits");
        if (name.Length > 0)
            json.WriteString("name", name);
        foreach (var (key, value) in traits)
        {
            json.WritePropertyName(key);
            value.WriteTo(json);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        state.Accept(new EventRecord(state.Job.WorkspaceId, messageId, "identify", DateTimeOffset.UtcNow, state.Job.CreatedAt,
            Encoding.UTF8.GetString(state.Buffer.WrittenSpan)));
        if (tags.Count > 0)
            state.Pending.Add(TagEvent(state, MessageId(state.Job.Id, line, "tags"), TagAdded, identities, tags));
    }

    private async Task TagRowAsync(RunState state, long line, string raw, List<string> record)
    {
        var header = state.Header;
        var column = header.Identities[0];
        var value = record[column.Index];
        if (string.IsNullOrWhiteSpace(value))
        {
            state.Reject(line, $"no identity: {column.Header} is empty", raw);
            return;
        }

        var normalised = MessageIdentities.Normalise(column.Key, value);
        if (ImportValues.IdentityProblem(column.Key, value.Trim(), normalised) is { } problem)
        {
            state.Reject(line, problem, raw);
            return;
        }

        List<string> tags;
        try
        {
            tags = ImportValues.Tags(record[header.Tags!.Index]);
        }
        catch (FormatException e)
        {
            state.Reject(line, e.Message, raw);
            return;
        }

        if (tags.Count == 0)
        {
            state.Reject(line, "no tags: fill the tags column (several separated by |)", raw);
            return;
        }

        var action = header.Action is { } actionColumn ? record[actionColumn.Index].Trim().ToLowerInvariant() : "";
        if (action is not ("" or "add" or "remove"))
        {
            state.Reject(line, $"action '{action}' is neither add nor remove", raw);
            return;
        }

        state.TagRows.Add(new TagRow(line, raw, normalised, tags, action == "remove"));
        if (state.TagRows.Count >= TagRowsPerLookup)
            await LookUpTagRowsAsync(state);
    }

    /// <summary>Tag rows apply only to customers that exist: their identities are looked up a thousand at a time.</summary>
    private async Task LookUpTagRowsAsync(RunState state)
    {
        if (state.TagRows.Count == 0)
            return;
        var column = state.Header.Identities[0];
        var values = state.TagRows.Select(r => r.Identity).Distinct().ToList();
        await using var connection = await database.OpenAsync();
        var known = (await connection.QueryAsync<string>(
            "SELECT value FROM identities WHERE workspace_id = @ws AND kind = @kind AND scope = @scope AND value "
            + (database.IsSqlite ? "IN (SELECT value FROM json_each(@values))" : "= ANY(@values)"),
            new
            {
                ws = state.Job.WorkspaceId, kind = column.Key, scope = column.Scope,
                values = database.IsSqlite ? (object)JsonSerializer.Serialize(values) : values.ToArray(),
            })).ToHashSet(StringComparer.Ordinal);
        foreach (var row in state.TagRows)
        {
            if (!known.Contains(row.Identity))
            {
                state.Reject(row.Line, $"no customer has {column.Header} {row.Identity}", row.Raw);
                continue;
            }

            state.Accept(TagEvent(state, MessageId(state.Job.Id, row.Line, null), row.Remove ? TagRemoved : TagAdded, [(column, row.Identity)], row.Tags));
        }

        state.TagRows.Clear();
    }

    private async Task<TimeZoneInfo> ZoneAsync(Guid workspaceId)
    {
        await using var connection = await database.OpenAsync();
        var id = await connection.QuerySingleOrDefaultAsync<string>("SELECT time_zone FROM workspaces WHERE id = @workspaceId", new { workspaceId });
        return id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
    }

    public static string MessageId(Guid jobId, long line, string? suffix) =>
        suffix is null ? $"import:{jobId:N}:{line}" : $"import:{jobId:N}:{line}:{suffix}";

    private static EventRecord TagEvent(RunState state, string messageId, string name, List<(ImportColumn Column, string Value)> identities, List<string> tags)
    {
        var json = state.Json;
        state.Buffer.ResetWrittenCount();
        json.Reset(state.Buffer);
        json.WriteStartObject();
        json.WriteString("type", "track");
        json.WriteString("event", name);
        json.WriteString("messageId", messageId);
        WriteIdentities(json, identities, state.Timestamp);
        json.WriteStartObject("properties");
        json.WriteStartArray("tags");
        foreach (var tag in tags)
            json.WriteStringValue(tag);
        json.WriteEndArray();
        json.WriteString("source", "import");
        json.WriteString("import_id", state.Job.Id);
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        return new EventRecord(state.Job.WorkspaceId, messageId, "track", DateTimeOffset.UtcNow, state.Job.CreatedAt, Encoding.UTF8.GetString(state.Buffer.WrittenSpan));
    }

    /// <summary>userId for a user_id column (as SDKs send it), every other identity in context.externalIds; and the message's time.</summary>
    private static void WriteIdentities(Utf8JsonWriter json, List<(ImportColumn Column, string Value)> identities, string timestamp)
    {
        json.WriteString("timestamp", timestamp);
        foreach (var (column, value) in identities)
        {
            if (column.Key == IdentityKinds.UserId)
                json.WriteString("userId", value);
        }

        json.WriteStartObject("context");
        json.WriteString("source", "import");
        json.WriteStartArray("externalIds");
        foreach (var (column, value) in identities)
        {
            if (column.Key == IdentityKinds.UserId)
                continue;
            json.WriteStartObject();
            json.WriteString("id", value);
            json.WriteString("type", column.Key);
            if (column.Scope.Length > 0)
                json.WriteString("collection", column.Scope);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private sealed record TagRow(long Line, string Raw, string Identity, List<string> Tags, bool Remove);

    private sealed class RunState(ImportJob job, ImportHeader header, CsvWriter rejects)
    {
        private Task? _inFlight;

        public ImportJob Job { get; } = job;
        public ImportHeader Header { get; } = header;
        public string Timestamp { get; } = job.CreatedAt.ToString("O", CultureInfo.InvariantCulture);
        public ArrayBufferWriter<byte> Buffer { get; } = new(1024);
        public Utf8JsonWriter Json { get; } = new(new ArrayBufferWriter<byte>(1), new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        public List<EventRecord> Pending { get; private set; } = new(EventsPerAppend + 2);
        public List<TagRow> TagRows { get; } = [];
        public long NextLine { get; set; }
        public long Lines { get; set; }
        public long Accepted { get; private set; }
        public long Rejected { get; private set; }
        public long Events { get; private set; }

        /// <summary>An event from <paramref name="rows"/> accepted rows (an order's lines are several rows, one event).</summary>
        public void Accept(EventRecord record, int rows = 1)
        {
            Accepted += rows;
            Pending.Add(record);
        }

        /// <summary>Written at once (the writer buffers), so the rejects file follows the order rows were judged in.</summary>
        public void Reject(long line, string reason, string raw)
        {
            Rejected++;
            rejects.WriteField(line);
            rejects.WriteField(reason);
            rejects.WriteField(raw.TrimEnd('\r', '\n'));
            rejects.NextRecord();
        }

        public async Task FlushAsync(EventLogWriter log)
        {
            if (Pending.Count == 0)
                return;
            if (_inFlight is not null)
                await _inFlight;
            var batch = Pending;
            Pending = new List<EventRecord>(EventsPerAppend + 2);
            Events += batch.Count;
            _inFlight = log.AppendAsync(batch);
        }

        public async Task DrainAsync()
        {
            if (_inFlight is not null)
                await _inFlight;
            _inFlight = null;
        }

        public ImportProgress Progress(long bytes) => new(bytes, Lines, Accepted, Rejected, Events);
    }
}

/// <summary>
/// One CSV record on one line (RFC 4180 fields: quoted when they hold a comma, a quote inside doubled). Import files
/// are read line by line so that a malformed row is confined to its own line: CsvHelper's parser, asked to treat a
/// line break inside quotes as bad data, flags good quoted fields on later rows after such a line (33.1.0), so the
/// import splits lines itself and uses CsvHelper for the files it writes.
/// </summary>
internal static class CsvLine
{
    /// <summary>Fills <paramref name="fields"/> and returns null, or says what is malformed.</summary>
    public static string? Split(string line, List<string> fields, StringBuilder scratch)
    {
        fields.Clear();
        var i = 0;
        while (true)
        {
            if (i < line.Length && line[i] == '"')
            {
                scratch.Clear();
                var start = i;
                i++;
                while (true)
                {
                    if (i >= line.Length)
                        return $"malformed quoted field: the quote opened at column {start + 1} is never closed (a field may not span lines)";
                    var c = line[i];
                    if (c == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            scratch.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    scratch.Append(c);
                    i++;
                }

                fields.Add(scratch.ToString());
                if (i == line.Length)
                    return null;
                if (line[i] != ',')
                    return $"malformed quoted field: text after the closing quote at column {i} (a quote inside a field must be doubled)";
                i++;
            }
            else
            {
                var end = line.IndexOf(',', i);
                var field = end < 0 ? line[i..] : line[i..end];
                if (field.Contains('"', StringComparison.Ordinal))
                    return $"malformed field: a quote inside an unquoted field near column {i + 1} (quote the field and double the quote)";
                fields.Add(field);
                if (end < 0)
                    return null;
                i = end + 1;
            }

            if (i == line.Length)
            {
                fields.Add("");
                return null;
            }
        }
    }
}
