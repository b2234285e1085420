namespace Beacon.Parser.Enrichment;

/// <summary>
/// What a User-Agent says about the client. One instance per distinct User-Agent, shared by every
/// record that carries it (see <see cref="UserAgentParser"/>'s cache): treat it as immutable.
/// </summary>
public sealed class UserAgentInfo
{
    internal UserAgentInfo(string browserFamily, string? browserMajor, string osFamily, string? osVersion, DeviceClass deviceClass, bool isBot)
    {
        BrowserFamily = browserFamily;
        BrowserMajor = browserMajor;
        OsFamily = osFamily;
        OsVersion = osVersion;
        DeviceClass = deviceClass;
        IsBot = isBot;
    }

    /// <summary>ua-parser's browser family, e.g. "Chrome", "Mobile Safari", "Googlebot"; "Other" when unknown.</summary>
    public string BrowserFamily { get; }

    /// <summary>The browser's major version, e.g. "131"; null when unknown.</summary>
    public string? BrowserMajor { get; }

    /// <summary>ua-parser's operating-system family, e.g. "Windows", "Mac OS X", "iOS", "Android"; "Other" when unknown.</summary>
    public string OsFamily { get; }

    /// <summary>The operating system's version as major.minor ("17.4", "10.15"), or major alone ("10", "XP"); null when unknown.</summary>
    public string? OsVersion { get; }

    public DeviceClass DeviceClass { get; }

    /// <summary>A crawler, a script or a headless browser. Bots are flagged, never dropped: the route table decides.</summary>
    public bool IsBot { get; }
}
