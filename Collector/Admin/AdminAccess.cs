namespace Beacon.Collector.Admin;

/// <summary>Who an admin request is, or why it is refused.</summary>
internal readonly record struct AdminAccess(int Status, string Caller, string? Reason)
{
    public bool Allowed => Status == StatusCodes.Status200OK;

    public static AdminAccess Grant(string caller) => new(StatusCodes.Status200OK, caller, null);

    public static AdminAccess Deny(int status, string reason) => new(status, "", reason);
}
