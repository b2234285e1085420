using System.Text.RegularExpressions;

namespace Beacon.Collector.Tests.Diagnostics;

/// <summary>A strict reading of the Prometheus text format (0.0.4), for asserting what the exporter writes.</summary>
internal static partial class ExpositionFormat
{
    /// <summary>Every problem in <paramref name="text"/>; empty when it is well-formed.</summary>
    public static IReadOnlyList<string> Problems(string text)
    {
        var problems = new List<string>();
        var typed = new Dictionary<string, string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                if (parts.Length != 4 || parts[3] is not ("counter" or "gauge" or "histogram") || !typed.TryAdd(parts[2], parts[3]))
                {
                    problems.Add("bad or repeated TYPE: " + line);
                }

                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }

            var sample = Sample().Match(line);
            if (!sample.Success)
            {
                problems.Add("not a sample: " + line);
                continue;
            }

            var name = sample.Groups["name"].Value;
            if (!series.Add(line[..line.LastIndexOf(' ')]))
            {
                problems.Add("duplicate series (Prometheus keeps one): " + line);
            }

            var family = typed.Keys.FirstOrDefault(f => name == f || (typed[f] == "histogram" && name is var n && (n == f + "_bucket" || n == f + "_sum" || n == f + "_count")));
            if (family is null)
            {
                problems.Add("sample before its TYPE: " + line);
            }
            else if (typed[family] == "counter" && !family.EndsWith("_total", StringComparison.Ordinal))
            {
                problems.Add("counter not named *_total: " + family);
            }
        }

        return problems;
    }

    /// <summary>The metric family names a scrape declares.</summary>
    public static IReadOnlySet<string> Families(string text) =>
        text.Split('\n').Where(static l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(static l => l.Split(' ')[2]).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[a-zA-Z_][a-zA-Z0-9_]*="(\\\\|\\"|\\n|[^"\\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\\\|\\"|\\n|[^"\\\n])*")*)?\})? (?<value>[-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|Inf|NaN))$""")]
    private static partial Regex Sample();
}
