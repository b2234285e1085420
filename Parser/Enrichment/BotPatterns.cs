using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// Recognises bots, crawlers and scripted clients: the patterns of the maintained crawler-user-agents
/// list (shipped in Data/) plus markers of headless browsers. Nearly all the list's patterns are plain
/// words; those are searched for together in one vectorised pass (<see cref="SearchValues{T}"/>), and
/// only the few real expressions go through a regular expression — one big alternation would take
/// milliseconds per User-Agent. Immutable and thread-safe; built once per process (<see cref="Default"/>).
/// </summary>
internal sealed class BotPatterns
{
    /// <summary>
    /// Automation that the crawler list does not (or not reliably) name: headless builds of real
    /// browsers and browser-automation tools, which otherwise look like the browser they drive.
    /// </summary>
    private static readonly string[] HeadlessMarkers =
    [
        "HeadlessChrome", "Headless", "PhantomJS", "SlimerJS", "HtmlUnit", "jsdom/", "Puppeteer", "Playwright", "Selenium", "WebDriver",
    ];

    private static readonly Lazy<BotPatterns> Shipped = new(
        static () => Load(typeof(BotPatterns).Assembly.GetManifestResourceStream("Beacon.Parser.Enrichment.Data.crawler-user-agents.json")
            ?? throw new InvalidOperationException("crawler-user-agents.json is not embedded in Beacon.Parser.")));

    private const string Metacharacters = ".^$*+?()[]{}|\\";

    private readonly SearchValues<string> _words;
    private readonly Regex? _expressions;

    private BotPatterns(IReadOnlyCollection<string> patterns)
    {
        var words = new List<string>();
        var expressions = new List<string>();
        foreach (var pattern in patterns)
        {
            if (Literal(pattern) is { } word)
            {
                words.Add(word);
            }
            else
            {
                expressions.Add(pattern);
            }
        }

        _words = SearchValues.Create(words.ToArray(), StringComparison.Ordinal);

        // Case-sensitive, as the list's own tools match.
        _expressions = expressions.Count == 0
            ? null
            : new Regex(string.Join('|', expressions.Select(static p => $"(?:{p})")), RegexOptions.Compiled | RegexOptions.CultureInvariant);
    }

    /// <summary>The shipped list (crawler-user-agents 1.60.0) and the headless markers, built on first use.</summary>
    public static BotPatterns Default => Shipped.Value;

    /// <summary>Reads a crawler-user-agents.json: an array of objects, each with a <c>pattern</c>.</summary>
    public static BotPatterns Load(Stream json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var patterns = document.RootElement.EnumerateArray()
            .Select(static entry => entry.GetProperty("pattern").GetString() ?? throw new InvalidDataException("A crawler entry has a null pattern."))
            .Concat(HeadlessMarkers)
            .ToList();
        return new BotPatterns(patterns);
    }

    public bool IsBot(string userAgent) =>
        userAgent.AsSpan().ContainsAny(_words) || (_expressions is not null && _expressions.IsMatch(userAgent));

    /// <summary>The text a pattern matches when it is a plain word (escapes like <c>\/</c> allowed), else null.</summary>
    private static string? Literal(string pattern)
    {
        var word = new StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                // \/ or \. is the character itself; \d, \s … are classes.
                if (i + 1 == pattern.Length || char.IsAsciiLetterOrDigit(pattern[i + 1]))
                {
                    return null;
                }

                word.Append(pattern[++i]);
            }
            else if (Metacharacters.Contains(c, StringComparison.Ordinal))
            {
                return null;
            }
            else
            {
                word.Append(c);
            }
        }

        return word.Length == 0 ? null : word.ToString();
    }
}
