using System.Buffers;
using System.Text;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// Turns a User-Agent into browser, operating system, device class and a bot flag, using ua-parser's
/// rules (uap-core) and the crawler-user-agents list, both shipped as data. User-Agents repeat heavily,
/// so results are cached by the User-Agent's bytes (bounded, <see cref="ParserOptions.UserAgentCacheSize"/>):
/// a hit allocates nothing; a miss runs the rules, a few hundred microseconds at most. Safe for concurrent use.
/// </summary>
/// <remarks>
/// The device class, first rule that applies:
/// <list type="number">
/// <item><b>bot</b>: the crawler list or a headless marker matches, or ua-parser calls the device a "Spider".</item>
/// <item><b>other</b>: a TV, console or headset by its marker ("TV", "BRAVIA", "CrKey", "PlayStation", "Xbox",
/// "Nintendo", "Quest"), which otherwise pass for an Android tablet or a Windows desktop.</item>
/// <item><b>tablet</b>: an iPad, a Kindle or ua-parser's "Generic Tablet"; or "Tablet" in a non-Windows
/// User-Agent; or Android without "Mobile" (Google asks Android phones to send it, tablets not to).</item>
/// <item><b>mobile</b>: an iPhone, an iPod or a generic smartphone or feature phone; a phone operating
/// system (iOS, Android, Windows Phone, KaiOS …); or "Mobi" anywhere in the User-Agent.</item>
/// <item><b>desktop</b>: a Mac, or a desktop operating system (Windows, Mac OS X, Chrome OS, Linux and its
/// distributions, the BSDs …).</item>
/// <item><b>other</b>: the rest (watches, unknown platforms, and User-Agents that name none).</item>
/// </list>
/// </remarks>
public sealed class UserAgentParser
{
    /// <summary>
    /// Only this much of a User-Agent is parsed and cached. Real ones are a few hundred bytes; the cap
    /// bounds the cost of a miss and the cache's memory against made-up giants.
    /// </summary>
    public const int MaxParsedBytes = 1024;

    private static readonly SearchValues<string> NotPersonalComputers = SearchValues.Create(
        ["TV", "BRAVIA", "CrKey", "PlayStation", "Xbox", "Nintendo", "Quest"], StringComparison.Ordinal);

    private static readonly HashSet<string> MobileSystems = new(StringComparer.Ordinal)
    {
        "iOS", "Android", "Windows Phone", "Windows Mobile", "BlackBerry OS", "Symbian OS", "Symbian^3", "Symbian^3 Anna",
        "Symbian^3 Belle", "KaiOS", "Firefox OS", "Sailfish", "Tizen", "MeeGo", "Maemo", "Bada", "webOS", "Ubuntu Touch", "HarmonyOS",
    };

    private static readonly HashSet<string> DesktopSystems = new(StringComparer.Ordinal)
    {
        "Windows", "Mac OS X", "Mac OS", "Chrome OS", "Linux", "Ubuntu", "Kubuntu", "Xubuntu", "Lubuntu", "Debian", "Fedora", "Red Hat",
        "CentOS", "SUSE", "openSUSE", "Gentoo", "Mint", "Linux Mint", "Slackware", "Mandriva", "Arch Linux", "Mageia", "PCLinuxOS",
        "elementary OS", "FreeBSD", "OpenBSD", "NetBSD", "DragonFly BSD", "Solaris", "SunOS", "AIX", "IRIX", "HP-UX", "BeOS", "Haiku",
        "OS/2", "Fuchsia",
    };

    private readonly UserAgentRules _rules;
    private readonly BotPatterns _bots;
    private readonly UserAgentCache _cache;
    private readonly UserAgentMissBudget _misses;

    /// <summary>Uses the shipped rules, read and shared process-wide on the first construction.</summary>
    public UserAgentParser(ParserOptions options, TimeProvider? time = null)
        : this(UserAgentRules.Default, BotPatterns.Default, options ?? throw new ArgumentNullException(nameof(options)), time ?? TimeProvider.System)
    {
    }

    internal UserAgentParser(UserAgentRules rules, BotPatterns bots, ParserOptions options, TimeProvider time)
    {
        _rules = rules;
        _bots = bots;
        _cache = new UserAgentCache(options.UserAgentCacheSize);
        _misses = new UserAgentMissBudget(options.UserAgentMissesPerSecond, time);
    }

    /// <summary>User-Agents left unparsed because misses were over <see cref="ParserOptions.UserAgentMissesPerSecond"/>.</summary>
    public long Unparsed => _misses.Refused;

    /// <summary>Distinct User-Agents cached now.</summary>
    public int CachedCount => _cache.Count;

    /// <summary>Parses a UTF-8 User-Agent (the first <see cref="MaxParsedBytes"/> bytes); a cache hit allocates nothing.</summary>
    public UserAgentInfo Parse(ReadOnlySpan<byte> userAgent)
    {
        userAgent = userAgent.Length > MaxParsedBytes ? userAgent[..MaxParsedBytes] : userAgent;
        if (_cache.TryGet(userAgent, out var info))
        {
            return info;
        }

        info = Classify(Encoding.UTF8.GetString(userAgent));
        _cache.Add(userAgent.ToArray(), info);
        return info;
    }

    /// <summary>
    /// As <see cref="Parse(ReadOnlySpan{byte})"/>, but a cache miss is parsed only within
    /// <see cref="ParserOptions.UserAgentMissesPerSecond"/>: null (and counted in <see cref="Unparsed"/>) past it.
    /// </summary>
    public UserAgentInfo? ParseWithinBudget(ReadOnlySpan<byte> userAgent)
    {
        userAgent = userAgent.Length > MaxParsedBytes ? userAgent[..MaxParsedBytes] : userAgent;
        if (_cache.TryGet(userAgent, out var info))
        {
            return info;
        }

        return _misses.TryTake() ? Parse(userAgent) : null;
    }

    /// <summary>
    /// The cached result for the whole of <paramref name="userAgent"/>, or null (no look-up for an empty one).
    /// A User-Agent of <see cref="MaxParsedBytes"/> or more is never found whole: its entry is for a prefix.
    /// </summary>
    internal UserAgentInfo? Cached(ReadOnlySpan<byte> userAgent) =>
        !userAgent.IsEmpty && userAgent.Length < MaxParsedBytes && _cache.TryGet(userAgent, out var info) ? info : null;

    /// <summary>Parses a User-Agent given as text, through the same cache.</summary>
    public UserAgentInfo Parse(string userAgent)
    {
        ArgumentNullException.ThrowIfNull(userAgent);
        return Parse(Encoding.UTF8.GetBytes(userAgent));
    }

    private UserAgentInfo Classify(string userAgent)
    {
        var browser = _rules.MatchBrowser(userAgent);
        var os = _rules.MatchOperatingSystem(userAgent);
        var device = _rules.MatchDevice(userAgent);
        var isBot = device.Family == "Spider" || _bots.IsBot(userAgent);
        var osVersion = os.Major is null ? null : os.Minor is null ? os.Major : $"{os.Major}.{os.Minor}";
        return new UserAgentInfo(browser.Family, browser.Major, os.Family, osVersion, ClassOf(userAgent, os.Family, device.Family, isBot), isBot);
    }

    private static DeviceClass ClassOf(string userAgent, string os, string device, bool isBot)
    {
        if (isBot)
        {
            return DeviceClass.Bot;
        }

        if (userAgent.AsSpan().ContainsAny(NotPersonalComputers))
        {
            return DeviceClass.Other;
        }

        if (device is "iPad" or "Generic Tablet" || device.StartsWith("Kindle", StringComparison.Ordinal)
            || (userAgent.Contains("Tablet", StringComparison.Ordinal) && !os.StartsWith("Windows", StringComparison.Ordinal))
            || (os == "Android" && !userAgent.Contains("Mobi", StringComparison.Ordinal)))
        {
            return DeviceClass.Tablet;
        }

        if (device is "iPhone" or "iPod" or "Generic Smartphone" or "Generic Feature Phone" || MobileSystems.Contains(os)
            || userAgent.Contains("Mobi", StringComparison.Ordinal))
        {
            return DeviceClass.Mobile;
        }

        return device == "Mac" || DesktopSystems.Contains(os) ? DeviceClass.Desktop : DeviceClass.Other;
    }
}
