using System.Globalization;
using System.Text;
using Pond.Commerce;
using Pond.Customers;
using Pond.Ingestion;

namespace Pond.Audience.Import;

internal sealed partial class ImportRunner
{
    /// <summary>
    /// The rows of an order import (docs/import.md): one row per order line, the rows of one order adjacent. Rows are
    /// held until the order's last row has been read, then the order is checked as a whole (with the same rules as
    /// the orders API) and becomes one Order Completed event. A bad row rejects its whole order: the bad row with its
    /// reason, every other row of the order with "order X is not imported: line N is rejected". The message id is
    /// <c>order:{order_id}</c>, the id the order book gives the event of an order recorded through the API, so an
    /// order already known, or the same file imported again, stores nothing twice.
    /// </summary>
    private sealed class OrderRows(RunState state, TimeZoneInfo zone, DateTimeOffset now)
    {
        /// <summary>Times without an offset, read in the workspace's time zone (Excel writes 2026/3/1 14:05).</summary>
        private static readonly string[] LocalFormats =
        [
            "yyyy-M-d H:mm:ss", "yyyy-M-d H:mm", "yyyy-M-d'T'H:mm:ss", "yyyy-M-d'T'H:mm", "yyyy-M-d H:mm:ss.FFFFFFF", "yyyy-M-d'T'H:mm:ss.FFFFFFF",
            "yyyy/M/d H:mm:ss", "yyyy/M/d H:mm",
        ];

        /// <summary>Columns that describe the order rather than a line: on its first row, or repeated identically.</summary>
        private static readonly string[] OrderLevel =
            ["placed_at", "paid", "discount", "shipping", "coupon", "currency", "sales_channel", "private_domain", "tracking_code", "channel_code"];

        private const int MaxLineRows = OrderValidation.MaxLines;

        private readonly ImportHeader _header = state.Header;
        private readonly int _orderIdIndex = state.Header.Order("order_id")!.Index;

        /// <summary>Every order id met so far, with its first line: a later, non-adjacent row of one of them is refused.</summary>
        private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

        private PendingOrder? _order;

        /// <summary>A row that split into the header's columns.</summary>
        public void Row(long line, string raw, List<string> fields)
        {
            var orderId = fields[_orderIdIndex].Trim();
            if (orderId.Length == 0)
            {
                Orphan(line, "order_id is empty: every row names its order", raw);
                return;
            }

            if (!Enter(line, raw, orderId, null))
                return;
            var order = _order!;
            if (order.Dead is { } dead)
            {
                state.Reject(line, dead, raw);
                return;
            }

            if (Read(order, line, fields) is { } problem)
            {
                Kill(order, line, problem, raw);
                return;
            }

            order.Rows.Add((line, raw));
        }

        /// <summary>
        /// A row that cannot be read (malformed quoting, wrong column count, too long). When its order id can still be
        /// read it rejects that order; when not, it rejects the order in progress, whose line it may have been.
        /// </summary>
        public void Unreadable(long line, string problem, string raw, List<string>? fields)
        {
            var orderId = fields is not null && fields.Count > _orderIdIndex ? CustomerCsvExport.Undefuse(fields[_orderIdIndex]).Trim() : "";
            if (orderId.Length == 0)
            {
                Orphan(line, problem, raw);
                return;
            }

            if (!Enter(line, raw, orderId, problem))
                return;
            var order = _order!;
            if (order.Dead is not null)
                state.Reject(line, problem, raw);
            else
                Kill(order, line, problem, raw);
        }

        /// <summary>Ends the order in progress: checked as a whole, then one event, or every row rejected with the reason.</summary>
        public void Finish()
        {
            if (_order is not { } order)
                return;
            _order = null;
            if (order.Dead is not null)
                return;

            string? problem = null;
            ValidOrder? valid = null;
            if (order.Identities.Count == 0)
                problem = $"no identity: fill at least one of {string.Join(", ", _header.Identities.Select(c => c.Header))}";
            else if (order.PlacedAt is null)
                problem = "placed_at is empty: give the time the order was paid";
            else
            {
                try
                {
                    valid = OrderValidation.Validate(new OrderInput
                    {
                        OrderId = order.OrderId,
                        PlacedAt = order.PlacedAt,
                        SalesChannel = order.SalesChannel,
                        PrivateDomain = order.PrivateDomain,
                        Currency = order.Currency,
                        Items = order.Items,
                        Paid = order.Paid,
                        Discount = order.Discount,
                        Shipping = order.Shipping,
                        CouponCodes = order.Coupons,
                        TrackingCode = order.TrackingCode,
                        ChannelCode = order.ChannelCode,
                        Source = OrderSources.Import,
                    }, now);
                }
                catch (ValidationFailedException e)
                {
                    problem = e.Message.TrimEnd('.');
                }
            }

            if (problem is not null || valid is null)
            {
                var reason = $"order {order.OrderId} is not imported: {problem}";
                foreach (var (rowLine, rowRaw) in order.Rows)
                    state.Reject(rowLine, reason, rowRaw);
                return;
            }

            state.Accept(Event(order, valid), order.Rows.Count);
        }

        /// <summary>Makes <paramref name="orderId"/>'s order the one in progress; false (the row rejected) for a non-adjacent repeat.</summary>
        private bool Enter(long line, string raw, string orderId, string? problem)
        {
            if (_order is { } current && string.Equals(current.OrderId, orderId, StringComparison.Ordinal))
                return true;
            Finish();
            if (_seen.TryGetValue(orderId, out var first))
            {
                state.Reject(line,
                    $"order {orderId} already appeared at line {first.ToString(CultureInfo.InvariantCulture)} with other rows between: the rows of one order must be adjacent (sort the file by order_id)"
                    + (problem is null ? "" : $"; and {problem}"), raw);
                return false;
            }

            _seen[orderId] = line;
            _order = new PendingOrder(orderId);
            return true;
        }

        /// <summary>A row whose order cannot be told: it rejects the order in progress, whose line it may have been.</summary>
        private void Orphan(long line, string problem, string raw)
        {
            if (_order is { Dead: null } current)
                Kill(current, line, $"{problem} (the row's order cannot be told, so order {current.OrderId} above it is not imported either)", raw, appendOrder: false);
            else
                state.Reject(line, problem, raw);
        }

        /// <summary>Rejects the order: its rows so far now, its later rows as they come.</summary>
        private void Kill(PendingOrder order, long line, string problem, string raw, bool appendOrder = true)
        {
            var reason = $"order {order.OrderId} is not imported: line {line.ToString(CultureInfo.InvariantCulture)} is rejected";
            foreach (var (rowLine, rowRaw) in order.Rows)
                state.Reject(rowLine, reason, rowRaw);
            order.Rows.Clear();
            state.Reject(line, appendOrder ? $"{problem}; order {order.OrderId} is not imported" : problem, raw);
            order.Dead = reason;
        }

        /// <summary>Reads a row into its order; the reason when something in it is wrong.</summary>
        private string? Read(PendingOrder order, long line, List<string> fields)
        {
            foreach (var column in _header.Identities)
            {
                var value = fields[column.Index];
                if (string.IsNullOrWhiteSpace(value))
                    continue;
                var normalised = MessageIdentities.Normalise(column.Key, value);
                if (ImportValues.IdentityProblem(column.Key, value.Trim(), normalised) is { } problem)
                    return problem;
                if (Repeat(order, column, normalised, value.Trim(), line) is { } differs)
                    return differs;
                if (!order.Identities.Any(i => i.Column == column))
                    order.Identities.Add((column, normalised));
            }

            foreach (var key in OrderLevel)
            {
                if (_header.Order(key) is not { } column)
                    continue;
                var value = fields[column.Index].Trim();
                if (value.Length == 0)
                    continue;
                if (Repeat(order, column, value, value, line) is { } differs)
                    return differs;
                if (order.Values[column.Index].Line != line)
                    continue; // read on an earlier row
                if (OrderValue(order, key, value) is { } problem)
                    return problem;
            }

            return Item(order, fields);
        }

        /// <summary>Null when the order-level value is the first of its column or the same as before; else why not.</summary>
        private static string? Repeat(PendingOrder order, ImportColumn column, string comparable, string shown, long line)
        {
            if (order.Values.TryGetValue(column.Index, out var earlier))
            {
                return string.Equals(earlier.Value, comparable, StringComparison.Ordinal)
                    ? null
                    : $"{column.Header} '{shown}' differs from '{earlier.Shown}' on line {earlier.Line.ToString(CultureInfo.InvariantCulture)}: an order's {column.Header} is given on its first row or repeated identically";
            }

            order.Values[column.Index] = (comparable, shown, line);
            return null;
        }

        private string? OrderValue(PendingOrder order, string key, string value)
        {
            switch (key)
            {
                case "placed_at":
                    if (Time(value) is not { } at)
                        return $"placed_at '{value}' is not a time: use ISO 8601 with its offset (2026-03-01T14:05:00+08:00) or yyyy-MM-dd HH:mm:ss in the workspace's time zone ({zone.Id})";
                    if (at > now.AddMinutes(5))
                        return $"placed_at '{value}' is in the future";
                    if (at.Year < 2000)
                        return $"placed_at '{value}' is before 2000";
                    order.PlacedAt = at;
                    return null;
                case "paid" or "discount" or "shipping":
                    if (Amount(key, value, out var yuan) is { } problem)
                        return problem;
                    if (key == "paid")
                        order.Paid = yuan;
                    else if (key == "discount")
                        order.Discount = yuan;
                    else
                        order.Shipping = yuan;
                    return null;
                case "coupon":
                    var codes = value.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (codes.FirstOrDefault(c => c.Length > 64) is { } tooLong)
                        return $"coupon '{tooLong[..20]}…' is longer than 64 characters";
                    if (codes.Length > OrderValidation.MaxCoupons)
                        return $"coupon: an order uses at most {OrderValidation.MaxCoupons} coupons; this one names {codes.Length}";
                    order.Coupons = codes;
                    return null;
                case "currency":
                    order.Currency = value;
                    return null;
                case "sales_channel":
                    var channel = value.ToLowerInvariant();
                    if (!SalesChannels.IsValid(channel))
                        return $"sales_channel '{value}' is not one of {string.Join(", ", SalesChannels.All)}";
                    order.SalesChannel = channel;
                    return null;
                case "private_domain":
                    order.PrivateDomain = value.ToLowerInvariant() switch
                    {
                        "true" or "1" or "yes" or "y" or "是" => true,
                        "false" or "0" or "no" or "n" or "否" => false,
                        _ => null,
                    };
                    return order.PrivateDomain is null ? $"private_domain '{value}' is not a boolean (true/false, 1/0, yes/no, 是/否)" : null;
                case "tracking_code":
                    order.TrackingCode = value;
                    return null;
                default:
                    order.ChannelCode = value;
                    return null;
            }
        }

        /// <summary>The row's order line, if it has one (a row may carry only order-level columns).</summary>
        private string? Item(PendingOrder order, List<string> fields)
        {
            string Field(string key) => _header.Order(key) is { } column ? fields[column.Index].Trim() : "";
            var sku = Field("sku");
            var name = Field("name");
            var category = Field("category");
            var price = Field("price");
            var quantity = Field("quantity");
            if (sku.Length == 0)
            {
                return name.Length + category.Length + price.Length + quantity.Length == 0
                    ? null
                    : "sku is empty: a row with an item names its sku (leave name, category, price and quantity empty on a row without one)";
            }

            if (sku.Length > 64)
                return "sku is longer than 64 characters";
            if (name.Length > 200)
                return "name is longer than 200 characters";
            if (category.Length > 64)
                return "category is longer than 64 characters";
            if (price.Length == 0)
                return "price is empty: give the unit price in yuan";
            if (Amount("price", price, out var yuan) is { } problem)
                return problem;
            var count = 1;
            if (quantity.Length > 0 && (!int.TryParse(quantity, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > 100_000))
                return $"quantity '{quantity}' is not a whole number from 1 to 100000";
            if (order.Items.Count == MaxLineRows)
                return $"order {order.OrderId} has more than {MaxLineRows} lines; an order has at most {MaxLineRows}";
            order.Items.Add(new OrderLineInput(sku, name.Length == 0 ? null : name, category.Length == 0 ? null : category, yuan, count));
            return null;
        }

        private static string? Amount(string key, string value, out decimal yuan)
        {
            var text = value.TrimStart('¥', '￥').Trim();
            if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out yuan))
                return $"{key} '{value}' is not an amount in yuan (e.g. 59.90)";
            if (yuan < 0)
                return $"{key} '{value}' is negative";
            if (decimal.Round(yuan, 2) != yuan)
                return $"{key} '{value}' has more than two decimals (yuan to the fen)";
            return null;
        }

        /// <summary>An ISO 8601 time with its offset, or a local time read in the workspace's zone; null when neither.</summary>
        private DateTimeOffset? Time(string value)
        {
            if (DateTime.TryParseExact(value, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            {
                if (zone.IsInvalidTime(local))
                    return null;
                return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone), TimeSpan.Zero).ToOffset(zone.GetUtcOffset(local));
            }

            var t = value.IndexOf('T', StringComparison.Ordinal);
            var hasOffset = value.EndsWith('Z') || value.EndsWith('z')
                || (value.Length > 6 && value[^6] is '+' or '-' && value[^3] == ':' && value.LastIndexOfAny(['+', '-']) > Math.Max(t, value.IndexOf(' ', StringComparison.Ordinal)));
            return hasOffset && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;
        }

        /// <summary>The order's Order Completed event, shaped as <see cref="OrderEventReader"/> reads it.</summary>
        private EventRecord Event(PendingOrder order, ValidOrder valid)
        {
            var json = state.Json;
            state.Buffer.ResetWrittenCount();
            json.Reset(state.Buffer);
            var messageId = $"order:{valid.OrderId}";
            json.WriteStartObject();
            json.WriteString("type", "track");
            json.WriteString("event", TrackedEvents.OrderCompleted);
            json.WriteString("messageId", messageId);
            WriteIdentities(json, order.Identities, valid.PlacedAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteStartObject("properties");
            json.WriteString("order_id", valid.OrderId);
            json.WriteNumber("total", Money.FromFen(valid.Paid));
            json.WriteNumber("revenue", Money.FromFen(Math.Max(0, valid.Paid - valid.Shipping)));
            json.WriteNumber("discount", Money.FromFen(valid.Discount));
            json.WriteNumber("shipping", Money.FromFen(valid.Shipping));
            json.WriteString("currency", valid.Currency);
            json.WriteString("channel", valid.SalesChannel);
            json.WriteBoolean("private_domain", valid.PrivateDomain);
            json.WriteStartArray("coupons");
            foreach (var code in valid.CouponCodes)
                json.WriteStringValue(code);
            json.WriteEndArray();
            if (valid.TrackingCode is not null)
                json.WriteString("tracking_code", valid.TrackingCode);
            if (valid.ChannelCode is not null)
                json.WriteString("channel_code", valid.ChannelCode);
            json.WriteStartArray("products");
            foreach (var line in valid.Lines)
            {
                json.WriteStartObject();
                json.WriteString("sku", line.Sku);
                if (line.Name is not null)
                    json.WriteString("name", line.Name);
                if (line.Category is not null)
                    json.WriteString("category", line.Category);
                json.WriteNumber("price", Money.FromFen(line.Price));
                json.WriteNumber("quantity", line.Quantity);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("source", OrderSources.Import);
            json.WriteString("import_id", state.Job.Id);
            json.WriteEndObject();
            json.WriteEndObject();
            json.Flush();
            return new EventRecord(state.Job.WorkspaceId, messageId, "track", DateTimeOffset.UtcNow, valid.PlacedAt, Encoding.UTF8.GetString(state.Buffer.WrittenSpan));
        }
    }

    /// <summary>An order being read: its rows so far, its order-level values (first row wins; repeats must match) and its lines.</summary>
    private sealed class PendingOrder(string orderId)
    {
        public string OrderId { get; } = orderId;
        public List<(long Line, string Raw)> Rows { get; } = [];

        /// <summary>Order-level cells by column index: the value compared, as shown, and the line it came from.</summary>
        public Dictionary<int, (string Value, string Shown, long Line)> Values { get; } = [];

        public List<(ImportColumn Column, string Value)> Identities { get; } = [];
        public List<OrderLineInput> Items { get; } = [];
        public DateTimeOffset? PlacedAt { get; set; }
        public decimal? Paid { get; set; }
        public decimal? Discount { get; set; }
        public decimal? Shipping { get; set; }
        public IReadOnlyList<string> Coupons { get; set; } = [];
        public string? Currency { get; set; }
        public string? SalesChannel { get; set; }
        public bool? PrivateDomain { get; set; }
        public string? TrackingCode { get; set; }
        public string? ChannelCode { get; set; }

        /// <summary>Set once a row of the order is rejected: the reason its other rows are rejected with.</summary>
        public string? Dead { get; set; }
    }
}
