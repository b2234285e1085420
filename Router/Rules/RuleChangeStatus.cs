namespace Beacon.Router.Rules;

/// <summary>How an attempt to change the rules ended (the admin API maps each to a status code).</summary>
public enum RuleChangeStatus
{
    /// <summary>The new version is in force (200).</summary>
    Applied,

    /// <summary>The rules are not valid; the old set stays (400).</summary>
    Invalid,

    /// <summary>The caller's version is stale, or another writer took the version first (412).</summary>
    Conflict,

    /// <summary>The version asked for does not exist (404).</summary>
    NotFound,

    /// <summary>The config log did not take or return the version in time (503).</summary>
    Unavailable,
}
