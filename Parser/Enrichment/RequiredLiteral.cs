using System.Text;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// Finds text that every match of a regular expression contains: one literal, or a set of which one
/// is always there (for <c>(Chrome|Chromium)/</c>). A rule can then be skipped by one vectorised search
/// instead of running its expression: most of ua-parser's ~1,200 rules cannot match a given User-Agent,
/// and this makes a miss several times cheaper. Conservative: anything it does not understand ends a
/// literal, and a construct it does not know at all (look-arounds, inline options) gives no answer, so a
/// rule is never skipped wrongly.
/// </summary>
internal static class RequiredLiteral
{
    /// <summary>Shorter literals filter too little to be worth the search.</summary>
    private const int MinLength = 3;

    /// <summary>Stands between literal runs: something that is not exactly one known character.</summary>
    private const char Break = '\uFFFF';

    /// <summary>
    /// Literals of which every match contains at least one, or null when there are none worth searching
    /// for. With <paramref name="ignoreCase"/>, for a rule matched case-insensitively, only ASCII literals
    /// qualify, and the caller may search for them (ordinal, ignoring case) only in ASCII text: there the
    /// regex's case-equivalents and the search's are the same, while elsewhere 'k' would also match the
    /// Kelvin sign.
    /// </summary>
    public static string[]? Of(string pattern, bool ignoreCase = false)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var position = 0;
        var any = Region(pattern, ref position)?.Best;
        if (any is null || position != pattern.Length || any.Any(static l => l.Length < MinLength))
        {
            return null;
        }

        return ignoreCase && any.Any(static l => !Ascii.IsValid(l)) ? null : any;
    }

    /// <summary>
    /// Branches (<c>a|b|…</c>) up to a ')' or the end. Text: what the region always matches, with
    /// <see cref="Break"/> between runs; null when it has branches. Best: literals of which one is
    /// always in the match (for branches, the union of theirs), null when there are none. Null when a
    /// construct is not understood.
    /// </summary>
    private static (string? Text, string[]? Best)? Region(string pattern, ref int i)
    {
        var branches = new List<(string Text, string[]? Best)>();
        var text = new StringBuilder();
        string[]? best = null;
        while (true)
        {
            if (i == pattern.Length || pattern[i] is '|' or ')')
            {
                foreach (var run in text.ToString().Split(Break))
                {
                    best = Better(best, run.Length == 0 ? null : [run]);
                }

                branches.Add((text.ToString(), best));
                if (i == pattern.Length || pattern[i] == ')')
                {
                    break;
                }

                i++;
                text.Clear();
                best = null;
                continue;
            }

            if (Atom(pattern, ref i) is not var (atom, atomBest) || Quantifier(pattern, ref i) is not var (min, once))
            {
                return null;
            }

            if (min == 0)
            {
                text.Append(Break);
                continue;
            }

            text.Append(atom);
            if (!once)
            {
                text.Append(Break); // repeated: what follows is next to the last copy, not the first
            }

            best = Better(best, atomBest);
        }

        if (branches.Count == 1)
        {
            return branches[0];
        }

        return (null, branches.Any(static b => b.Best is null) ? null : [.. branches.SelectMany(static b => b.Best!).Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>One atom: the text it always matches (a character, or a break for a class, escape or anchor; a group's text) and a group's literals.</summary>
    private static (string Text, string[]? Best)? Atom(string pattern, ref int i)
    {
        var c = pattern[i++];
        switch (c)
        {
            case '\\':
                if (i == pattern.Length)
                {
                    return null;
                }

                var escaped = pattern[i++];
                return (char.IsAsciiLetterOrDigit(escaped) ? Break.ToString() : escaped.ToString(), null); // \d, \b, \x41 …: not one known character
            case '[':
                // A class: skip to its closing bracket (a ']' first in the class is a member).
                i += i < pattern.Length && pattern[i] == '^' ? 1 : 0;
                i += i < pattern.Length && pattern[i] == ']' ? 1 : 0;
                while (i < pattern.Length && pattern[i] != ']')
                {
                    i += pattern[i] == '\\' ? 2 : 1;
                }

                if (i >= pattern.Length)
                {
                    return null;
                }

                i++;
                return (Break.ToString(), null);
            case '(':
                if (i < pattern.Length && pattern[i] == '?')
                {
                    if (i + 1 >= pattern.Length || pattern[i + 1] != ':')
                    {
                        return null; // look-around, named group, inline options: not understood
                    }

                    i += 2;
                }

                var inner = Region(pattern, ref i);
                if (inner is null || i >= pattern.Length)
                {
                    return null;
                }

                i++; // ')'
                return (inner.Value.Text ?? Break.ToString(), inner.Value.Best);
            case '.' or '^' or '$':
                return (Break.ToString(), null);
            case '*' or '+' or '?' or '{' or ')' or ']' or '}':
                return null; // a quantifier with nothing to repeat, or a stray bracket: not understood
            default:
                return (c.ToString(), null);
        }
    }

    private static string[]? Better(string[]? a, string[]? b) =>
        b is null || (a is not null && Shortest(a) >= Shortest(b)) ? a : b;

    private static int Shortest(string[] literals) => literals.Min(static l => l.Length);

    /// <summary>The quantifier after an atom: the least number of copies, and whether it is exactly one; null when malformed.</summary>
    private static (int Min, bool Once)? Quantifier(string pattern, ref int i)
    {
        if (i == pattern.Length || pattern[i] is not ('?' or '*' or '+' or '{'))
        {
            return (1, true);
        }

        int min;
        var once = false;
        switch (pattern[i])
        {
            case '?' or '*':
                min = 0;
                i++;
                break;
            case '+':
                min = 1;
                i++;
                break;
            default:
                var close = pattern.IndexOf('}', i);
                var comma = close < 0 ? -1 : pattern.IndexOf(',', i, close - i);
                if (close < 0 || !int.TryParse(pattern.AsSpan(i + 1, (comma < 0 ? close : comma) - i - 1), out min))
                {
                    return null;
                }

                once = min == 1 && (comma < 0 || pattern.AsSpan(comma + 1, close - comma - 1).SequenceEqual("1"));
                i = close + 1;
                break;
        }

        if (i < pattern.Length && pattern[i] is '?' or '+')
        {
            i++; // lazy or possessive
        }

        return (min, once);
    }
}
