using System.Globalization;
using System.Text.Json;
using Pond.Ingestion;

namespace Pond.Commerce;

/// <summary>A returned line: by line number or sku.</summary>
public sealed record RefundLineInput(int? Line, string? Sku, int Quantity);

/// <summary>
/// A refund as a caller sends it. Amount in yuan; without it, the returned lines' share of what was paid,
/// and without lines either, everything not yet refunded. RefundId defaults to one derived from the request.
/// </summary>
public sealed class RefundInput
{
    public string? RefundId { get; init; }
    public decimal? Amount { get; init; }
    public IReadOnlyList<RefundLineInput> Items { get; init; } = [];
    public string? Reason { get; init; }
    public DateTimeOffset? RefundedAt { get; init; }
    public string Source { get; init; } = OrderSources.Api;
}

/// <summary>An order after validation: normalised, money in fen.</summary>
internal sealed record ValidOrder(
    string OrderId, DateTimeOffset PlacedAt, string SalesChannel, bool PrivateDomain, string Currency, IReadOnlyList<OrderLine> Lines,
    long Subtotal, long Discount, long Shipping, long Paid, IReadOnlyList<string> CouponCodes, string? TrackingCode, string? ChannelCode, string Source);

/// <summary>Checks an <see cref="OrderInput"/> and says what to fix, field by field.</summary>
internal static class OrderValidation
{
    public const int MaxLines = 500;
    public const int MaxCoupons = 10;
    private const decimal MaxMoney = 100_000_000m;

    public static ValidOrder Validate(OrderInput input, DateTimeOffset now)
    {
        var orderId = Text(input.OrderId, "orderId", 64, required: true)!;
        var placedAt = input.PlacedAt ?? now;
        if (placedAt > now.AddMinutes(5))
            throw new ValidationFailedException($"placedAt {placedAt:O} is in the future; send the time the order was paid.", "placedAt");
        if (placedAt < new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero))
            throw new ValidationFailedException("placedAt is before 2000; send the time the order was paid.", "placedAt");
        var salesChannel = string.IsNullOrWhiteSpace(input.SalesChannel) ? SalesChannels.Other : input.SalesChannel.Trim().ToLowerInvariant();
        if (!SalesChannels.IsValid(salesChannel))
            throw new ValidationFailedException($"salesChannel '{input.SalesChannel}' is not one of {string.Join(", ", SalesChannels.All)}.", "salesChannel");
        var currency = string.IsNullOrWhiteSpace(input.Currency) ? "CNY" : input.Currency.Trim().ToUpperInvariant();
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))
            throw new ValidationFailedException($"currency '{input.Currency}' is not a three-letter ISO 4217 code such as CNY.", "currency");

        if (input.Items.Count > MaxLines)
            throw new ValidationFailedException($"An order has at most {MaxLines} items; this one has {input.Items.Count}.", "items");
        var lines = new List<OrderLine>(input.Items.Count);
        for (var i = 0; i < input.Items.Count; i++)
        {
            var item = input.Items[i];
            var field = $"items/{i}";
            if (item is null)
                throw new ValidationFailedException("An item is null; send {sku, price, quantity}.", field);
            var sku = Text(item.Sku, field + "/sku", 64, required: true)!;
            if (item.Quantity is < 1 or > 100_000)
                throw new ValidationFailedException($"quantity must be between 1 and 100000; it is {item.Quantity}.", field + "/quantity");
            var price = MoneyField(item.Price, field + "/price");
            lines.Add(new OrderLine(i + 1, sku, Text(item.Name, field + "/name", 200, false), Text(item.Category, field + "/category", 64, false),
                price, item.Quantity, checked(price * item.Quantity)));
        }

        var subtotal = lines.Sum(l => l.Amount);
        var discount = input.Discount is { } d ? MoneyField(d, "discount") : 0;
        var shipping = input.Shipping is { } s ? MoneyField(s, "shipping") : 0;
        long paid;
        if (input.Paid is { } p)
            paid = MoneyField(p, "paid");
        else
        {
            if (lines.Count == 0)
                throw new ValidationFailedException("Send the items bought, or at least the amount paid.", "paid");
            paid = subtotal - discount + shipping;
            if (paid < 0)
                throw new ValidationFailedException($"The discount ({Money.FromFen(discount)}) is more than the items and shipping ({Money.FromFen(subtotal + shipping)}).", "discount");
        }

        if (lines.Count > 0 && discount > subtotal + shipping)
            throw new ValidationFailedException($"The discount ({Money.FromFen(discount)}) is more than the items and shipping ({Money.FromFen(subtotal + shipping)}).", "discount");

        if (input.CouponCodes.Count > MaxCoupons)
            throw new ValidationFailedException($"An order uses at most {MaxCoupons} coupons.", "couponCodes");
        var coupons = input.CouponCodes
            .Select((c, i) => Text(c, $"couponCodes/{i}", 64, required: true)!.ToUpperInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToList();

        var privateDomain = input.PrivateDomain ?? SalesChannels.IsOwned(salesChannel);
        return new ValidOrder(orderId, placedAt, salesChannel, privateDomain, currency, lines, subtotal, discount, shipping, paid, coupons,
            Text(input.TrackingCode, "trackingCode", 64, false), Text(input.ChannelCode, "channelCode", 128, false), input.Source);
    }

    private static long MoneyField(decimal yuan, string field)
    {
        if (yuan < 0)
            throw new ValidationFailedException($"{field} cannot be negative; it is {yuan}.", field);
        if (yuan > MaxMoney)
            throw new ValidationFailedException($"{field} {yuan} is more than Pond accepts (¥{MaxMoney:N0}); is it in fen instead of yuan?", field);
        if (decimal.Round(yuan, 2) != yuan)
            throw new ValidationFailedException($"{field} {yuan} has more than two decimals; send yuan with at most fen precision.", field);
        return Money.ToFen(yuan);
    }

    private static string? Text(string? value, string field, int max, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
            return required ? throw new ValidationFailedException($"{field} is required.", field) : null;
        var text = value.Trim();
        if (text.Length > max)
            throw new ValidationFailedException($"{field} is longer than {max} characters.", field);
        if (text.Any(char.IsControl))
            throw new ValidationFailedException($"{field} contains control characters.", field);
        return text;
    }
}

/// <summary>
/// Reads Segment's e-commerce events (Order Completed, Order Refunded) into Pond's order inputs, leniently:
/// amounts as numbers or numeric strings, products as sku|product_id|id. paid = total, else revenue, else the
/// items less discount plus shipping. properties.source "import" marks an order from a CSV import.
/// </summary>
internal static class OrderEventReader
{
    public static OrderInput ReadOrder(JsonElement properties, string messageId, DateTimeOffset occurredAt)
    {
        var items = new List<OrderLineInput>();
        if (properties.TryGetProperty("products", out var products) && products.ValueKind == JsonValueKind.Array)
        {
            foreach (var product in products.EnumerateArray())
            {
                if (product.ValueKind != JsonValueKind.Object)
                    continue;
                var sku = Id(product, "sku") ?? Id(product, "product_id") ?? Id(product, "id");
                if (sku is null)
                    continue;
                var quantity = Number(product, "quantity") is { } q && q >= 1 && q <= 100_000 ? (int)q : 1;
                items.Add(new OrderLineInput(sku, SegmentMessages.ReadString(product, "name"), SegmentMessages.ReadString(product, "category"),
                    decimal.Round(Math.Max(0, Number(product, "price") ?? 0), 2), quantity));
            }
        }

        var coupons = new List<string>();
        if (properties.TryGetProperty("coupons", out var list) && list.ValueKind == JsonValueKind.Array)
            coupons.AddRange(list.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!));
        if (SegmentMessages.ReadString(properties, "coupon") is { } coupon)
            coupons.AddRange(coupon.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        bool? privateDomain = properties.TryGetProperty("private_domain", out var pd) && pd.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? pd.GetBoolean()
            : null;
        return new OrderInput
        {
            OrderId = Id(properties, "order_id") ?? messageId,
            PlacedAt = occurredAt,
            SalesChannel = SegmentMessages.ReadString(properties, "channel") is { } channel && SalesChannels.IsValid(channel.ToLowerInvariant()) ? channel : SalesChannels.Other,
            PrivateDomain = privateDomain,
            Currency = SegmentMessages.ReadString(properties, "currency"),
            Items = items,
            Paid = Amount(properties, "total") ?? Amount(properties, "revenue"),
            Discount = Amount(properties, "discount"),
            Shipping = Amount(properties, "shipping"),
            CouponCodes = coupons,
            TrackingCode = SegmentMessages.ReadString(properties, "tracking_code") ?? SegmentMessages.ReadString(properties, "staff_code"),
            ChannelCode = SegmentMessages.ReadString(properties, "channel_code"),
            // A CSV import (docs/import.md) sends its orders as events marked source "import"; every other event is "event".
            Source = SegmentMessages.ReadString(properties, "source") == OrderSources.Import ? OrderSources.Import : OrderSources.Event,
        };
    }

    public static (string OrderId, RefundInput Refund) ReadRefund(JsonElement properties, string messageId, DateTimeOffset occurredAt)
    {
        var items = new List<RefundLineInput>();
        if (properties.TryGetProperty("products", out var products) && products.ValueKind == JsonValueKind.Array)
        {
            foreach (var product in products.EnumerateArray())
            {
                if (product.ValueKind != JsonValueKind.Object)
                    continue;
                var sku = Id(product, "sku") ?? Id(product, "product_id");
                if (sku is not null)
                    items.Add(new RefundLineInput(null, sku, Number(product, "quantity") is { } q && q >= 1 ? (int)Math.Min(q, 100_000) : 1));
            }
        }

        return (Id(properties, "order_id") ?? "", new RefundInput
        {
            RefundId = Id(properties, "refund_id") ?? messageId,
            Amount = Amount(properties, "total") ?? Amount(properties, "amount") ?? Amount(properties, "revenue"),
            Items = items,
            Reason = SegmentMessages.ReadString(properties, "reason"),
            RefundedAt = occurredAt,
            Source = OrderSources.Event,
        });
    }

    private static string? Id(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : null,
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static decimal? Amount(JsonElement properties, string name) =>
        Number(properties, name) is { } value && value >= 0 ? decimal.Round(value, 2) : null;

    private static decimal? Number(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number))
            return number;
        if (value.ValueKind == JsonValueKind.String && decimal.TryParse(value.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out number))
            return number;
        return null;
    }
}
