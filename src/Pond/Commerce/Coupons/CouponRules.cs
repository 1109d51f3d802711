namespace Pond.Commerce.Coupons;

/// <summary>
/// The pure part of redemption: which cart lines a template applies to, whether the cart qualifies, and what the
/// coupon takes off. Every refusal is a <see cref="ValidationFailedException"/> whose message says what is missing.
/// </summary>
internal static class CouponRules
{
    public static bool Applies(CouponTemplate template, CartLine line)
    {
        var skus = template.SkuList;
        var categories = template.CategoryList;
        if (skus.Count == 0 && categories.Count == 0)
            return true;
        return skus.Contains(line.Sku, StringComparer.OrdinalIgnoreCase)
            || (line.Category is { } category && categories.Contains(category, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The discount (fen) the template gives on the cart, or a refusal saying why it does not apply.</summary>
    public static CouponQuote Quote(CouponTemplate template, string code, CouponCart cart)
    {
        if (cart.Lines.Count == 0)
            throw new ValidationFailedException("The cart has no items: send items with sku, price and quantity.", "items");
        var applicable = cart.Lines.Where(l => Applies(template, l)).Sum(l => l.Amount);
        if (applicable == 0)
            throw new ValidationFailedException(
                $"Coupon {code} applies only to {Scope(template)}; the cart has none of them.", "items");
        if (applicable < template.MinSpend)
            throw new ValidationFailedException(
                $"Coupon {code} needs a minimum spend of ¥{Money.FromFen(template.MinSpend):0.00} on {Scope(template)}; the cart has ¥{Money.FromFen(applicable):0.00}.", "items");
        long discount;
        switch (template.Kind)
        {
            case CouponKinds.Percent:
                discount = applicable - (long)Math.Round(applicable * (template.Percent ?? 100) / 100m, MidpointRounding.AwayFromZero);
                if (template.MaxDiscount is { } cap)
                    discount = Math.Min(discount, cap);
                break;
            case CouponKinds.Amount:
                discount = Math.Min(template.Amount ?? 0, applicable);
                break;
            case CouponKinds.Threshold:
                if (applicable < (template.Threshold ?? 0))
                    throw new ValidationFailedException(
                        $"Coupon {code} is {template.Benefit}: {Scope(template)} must reach ¥{Money.FromFen(template.Threshold ?? 0):0.00}; the cart has ¥{Money.FromFen(applicable):0.00}.", "items");
                discount = Math.Min(template.Amount ?? 0, applicable);
                break;
            case CouponKinds.FreeShipping:
                discount = cart.Shipping;
                break;
            default:
                discount = 0;
                break;
        }

        return new CouponQuote(code, template.Id, template.Kind, applicable, discount, template.Kind == CouponKinds.Gift ? template.GiftSku : null);
    }

    /// <summary>At most one exclusive coupon per order, and an exclusive coupon is never combined with another.</summary>
    public static void CheckStacking(string code, CouponTemplate template, IReadOnlyList<(string Code, string Stacking)> others)
    {
        if (others.Count == 0)
            return;
        if (template.Stacking == CouponStacking.Exclusive)
            throw new ValidationFailedException(
                $"Coupon {code} cannot be combined with other coupons; remove {string.Join(", ", others.Select(o => o.Code))} or use it alone.", "codes");
        var exclusive = others.FirstOrDefault(o => o.Stacking == CouponStacking.Exclusive);
        if (exclusive.Code is not null)
            throw new ValidationFailedException(
                $"Coupon {exclusive.Code} is exclusive and cannot be combined with {code}; use one of them.", "codes");
    }

    private static string Scope(CouponTemplate template)
    {
        var skus = template.SkuList;
        var categories = template.CategoryList;
        if (skus.Count == 0 && categories.Count == 0)
            return "the order's items";
        var parts = new List<string>();
        if (categories.Count > 0)
            parts.Add($"categories {string.Join(", ", categories)}");
        if (skus.Count > 0)
            parts.Add($"skus {string.Join(", ", skus)}");
        return string.Join(" or ", parts);
    }
}
