using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// ua-parser's rules (uap-core's <c>regexes.yaml</c>, shipped in Data/): three ordered lists of
/// regular expressions, for the browser, the operating system and the device; in each list the first
/// match wins, and its replacements (with <c>$1</c>…<c>$9</c> standing for its groups) name the
/// result. A rule is skipped without running its expression when the User-Agent lacks every literal
/// its matches must contain (<see cref="RequiredLiteral"/>); expressions are interpreted until they
/// have run a few dozen times, then compiled in the background. Thread-safe; loaded once per process
/// (<see cref="Default"/>).
/// </summary>
internal sealed class UserAgentRules
{
    private const string Other = "Other";

    private static readonly Lazy<UserAgentRules> Shipped = new(
        static () => Load(typeof(UserAgentRules).Assembly.GetManifestResourceStream("Beacon.Parser.Enrichment.Data.regexes.yaml")
            ?? throw new InvalidOperationException("regexes.yaml is not embedded in Beacon.Parser.")));

    private readonly Rule[] _browsers;
    private readonly Rule[] _systems;
    private readonly Rule[] _devices;

    private UserAgentRules(Rule[] browsers, Rule[] systems, Rule[] devices)
    {
        _browsers = browsers;
        _systems = systems;
        _devices = devices;
    }

    /// <summary>The rules shipped with Beacon (uap-core 0.18.0), read on first use.</summary>
    public static UserAgentRules Default => Shipped.Value;

    /// <summary>Reads a <c>regexes.yaml</c>. The expressions are built on first use, so start-up pays only for the YAML.</summary>
    public static UserAgentRules Load(Stream yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        using (var reader = new StreamReader(yaml, Encoding.UTF8))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return new UserAgentRules(
            Rules(root, "user_agent_parsers", ("family_replacement", 1), ("v1_replacement", 2), ("v2_replacement", 3), ("v3_replacement", 4)),
            Rules(root, "os_parsers", ("os_replacement", 1), ("os_v1_replacement", 2), ("os_v2_replacement", 3), ("os_v3_replacement", 4), ("os_v4_replacement", 5)),
            Rules(root, "device_parsers", ("device_replacement", 1), ("brand_replacement", 0), ("model_replacement", 1)));
    }

    /// <summary>The browser: family ("Other" when no rule matches) and version.</summary>
    public BrowserMatch MatchBrowser(string userAgent)
    {
        var fields = First(_browsers, userAgent);
        return fields is null ? new BrowserMatch(Other, null, null, null) : new BrowserMatch(fields[0] ?? Other, fields[1], fields[2], fields[3]);
    }

    /// <summary>The operating system: family ("Other" when no rule matches) and version.</summary>
    public OsMatch MatchOperatingSystem(string userAgent)
    {
        var fields = First(_systems, userAgent);
        return fields is null ? new OsMatch(Other, null, null, null, null) : new OsMatch(fields[0] ?? Other, fields[1], fields[2], fields[3], fields[4]);
    }

    /// <summary>The device: family ("Other" when no rule matches), brand and model.</summary>
    public DeviceMatch MatchDevice(string userAgent)
    {
        var fields = First(_devices, userAgent);
        return fields is null ? new DeviceMatch(Other, null, null) : new DeviceMatch(fields[0] ?? Other, fields[1], fields[2]);
    }

    private static string?[]? First(Rule[] rules, string userAgent)
    {
        var ascii = Ascii.IsValid(userAgent);
        foreach (var rule in rules)
        {
            if (rule.Required is { } required && (ascii || !rule.IgnoreCase) && !userAgent.AsSpan().ContainsAny(required))
            {
                continue; // cannot match: skip the expression
            }

            var match = rule.Match(userAgent);
            if (match.Success)
            {
                return rule.Fields(match);
            }
        }

        return null;
    }

    private static Rule[] Rules(YamlMappingNode root, string list, params (string Key, int DefaultGroup)[] fields)
    {
        var rules = new List<Rule>();
        foreach (var node in (YamlSequenceNode)root[list])
        {
            var entry = (YamlMappingNode)node;
            var pattern = Scalar(entry, "regex") ?? throw new InvalidDataException($"A rule in {list} has no regex.");
            var ignoreCase = Scalar(entry, "regex_flag") == "i";
            rules.Add(new Rule(pattern, ignoreCase, [.. fields.Select(f => (Scalar(entry, f.Key), f.DefaultGroup))]));
        }

        return [.. rules];
    }

    private static string? Scalar(YamlMappingNode entry, string key) =>
        entry.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    internal readonly record struct BrowserMatch(string Family, string? Major, string? Minor, string? Patch);

    internal readonly record struct OsMatch(string Family, string? Major, string? Minor, string? Patch, string? PatchMinor);

    internal readonly record struct DeviceMatch(string Family, string? Brand, string? Model);

    /// <summary>One entry of a list: the expression and, per result field, its replacement or the group it defaults to (0: none).</summary>
    private sealed class Rule(string pattern, bool ignoreCase, (string? Replacement, int DefaultGroup)[] fields)
    {
        /// <summary>
        /// Runs after which an expression is compiled (about 2x faster per run than interpreted).
        /// Compiling all ~1,200 up front would take seconds; most rules rarely get past
        /// <see cref="Required"/>, and those that often do are compiled once they prove it.
        /// </summary>
        private const int CompileAfter = 32;

        private volatile Regex? _regex;
        private int _runs;

        public bool IgnoreCase => ignoreCase;

        /// <summary>
        /// Literals of which every match contains one, to skip the expression cheaply when none is there;
        /// for a case-insensitive rule, valid only in ASCII text (<see cref="RequiredLiteral.Of"/>).
        /// </summary>
        public SearchValues<string>? Required { get; } = RequiredLiteral.Of(pattern, ignoreCase) is { } literals
            ? SearchValues.Create(literals, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
            : null;

        public Match Match(string userAgent)
        {
            // Races are harmless: two threads may both build an expression; one wins, and both work.
            var regex = _regex ??= Create(RegexOptions.None);
            if (Interlocked.Increment(ref _runs) == CompileAfter)
            {
                // Milliseconds of code generation and JIT: off the caller's thread, which keeps the
                // interpreted expression meanwhile. Running it once on a User-Agent that got this far
                // makes the JIT compile its matching code there, not on first use here.
                ThreadPool.UnsafeQueueUserWorkItem(static work => work.Rule.Compile(work.Sample), (Rule: this, Sample: userAgent), preferLocal: false);
            }

            return regex.Match(userAgent);
        }

        /// <summary>Builds the expression compiled and runs it once on <paramref name="sample"/>, then uses it.</summary>
        private void Compile(string sample)
        {
            var compiled = Create(RegexOptions.Compiled);
            compiled.Match(sample);
            _regex = compiled;
        }

        private Regex Create(RegexOptions engine) =>
            new(pattern, engine | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));

        public string?[] Fields(Match match)
        {
            var values = new string?[fields.Length];
            for (var i = 0; i < fields.Length; i++)
            {
                var (replacement, group) = fields[i];
                values[i] = replacement is null ? Group(match, group) : Substitute(replacement, match);
            }

            return values;
        }

        private static string? Group(Match match, int group) =>
            group > 0 && group < match.Groups.Count && match.Groups[group] is { Success: true, Length: > 0 } g ? g.Value : null;

        /// <summary><c>$1</c>…<c>$9</c> become the groups' values (empty when unmatched); the result is trimmed, and empty means none.</summary>
        private static string? Substitute(string replacement, Match match)
        {
            if (!replacement.Contains('$', StringComparison.Ordinal))
            {
                return NoneIfEmpty(replacement.Trim());
            }

            var text = new StringBuilder(replacement.Length + 16);
            for (var i = 0; i < replacement.Length; i++)
            {
                if (replacement[i] == '$' && i + 1 < replacement.Length && char.IsAsciiDigit(replacement[i + 1]) && replacement[i + 1] != '0')
                {
                    text.Append(Group(match, replacement[++i] - '0'));
                }
                else
                {
                    text.Append(replacement[i]);
                }
            }

            return NoneIfEmpty(text.ToString().Trim());
        }

        private static string? NoneIfEmpty(string value) => value.Length == 0 ? null : value;
    }
}
