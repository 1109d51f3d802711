namespace Pond.Customers;

/// <summary>
/// Personal data as lists show it: enough to recognise a person (the last digits, the mail domain),
/// not enough to contact them. Full values appear only where a role that may operate asks for one customer.
/// </summary>
internal static class Masking
{
    /// <summary>13812345678 → 138****5678; short numbers keep only their last two digits.</summary>
    public static string Phone(string phone)
    {
        var value = phone.Trim();
        if (value.Length >= 11)
            return string.Concat(value.AsSpan(0, value.Length - 8), "****", value.AsSpan(value.Length - 4));
        if (value.Length <= 2)
            return new string('*', value.Length);
        return string.Concat(new string('*', value.Length - 2), value.AsSpan(value.Length - 2));
    }

    /// <summary>lily@example.com → l***@example.com.</summary>
    public static string Email(string email)
    {
        var value = email.Trim();
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0)
            return "***";
        return string.Concat(value.AsSpan(0, 1), "***", value.AsSpan(at));
    }

    /// <summary>Masks an identity value when its kind is personal data; other kinds pass unchanged.</summary>
    public static string Identity(string kind, string value) => kind switch
    {
        IdentityKinds.Phone => Phone(value),
        IdentityKinds.Email => Email(value),
        _ => value,
    };

    /// <summary>Trait keys that hold personal data (the demo and SDKs put the phone into traits too).</summary>
    public static bool IsPersonalTrait(string key) =>
        key.Equals("phone", StringComparison.OrdinalIgnoreCase)
        || key.Equals("mobile", StringComparison.OrdinalIgnoreCase)
        || key.Equals("email", StringComparison.OrdinalIgnoreCase);

    public static string Trait(string key, string value) =>
        key.Equals("email", StringComparison.OrdinalIgnoreCase) ? Email(value) : Phone(value);
}
