namespace Pond.Workspaces;

/// <summary>Member roles, from most to least powerful.</summary>
public static class Roles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Staff = "staff";
    public const string Analyst = "analyst";

    public static readonly IReadOnlyList<string> All = [Owner, Admin, Operator, Staff, Analyst];

    public static bool IsValid(string role) => All.Contains(role);

    /// <summary>May change workspace settings, members and keys.</summary>
    public static bool CanAdminister(string role) => role is Owner or Admin;

    /// <summary>May create and change operational data (customers, staff, carriers…).</summary>
    public static bool CanOperate(string role) => role is Owner or Admin or Operator;
}

/// <summary>Policy names used by endpoints and pages.</summary>
public static class Policies
{
    /// <summary>Any member: owner, admin, operator, staff (own customers only), analyst (read-only).</summary>
    public const string Read = "pond.read";

    /// <summary>Owner, admin, operator.</summary>
    public const string Operate = "pond.operate";

    /// <summary>Owner, admin.</summary>
    public const string Administer = "pond.administer";

    /// <summary>The tracking API's write key.</summary>
    public const string Track = "pond.track";
}
