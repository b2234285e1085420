namespace Beacon.Collector.Tests.Deployment;

/// <summary>
/// Just enough PromQL to list the metric names an expression reads: identifiers that are not
/// functions, aggregations, keywords, grouping labels (<c>by (le)</c>), label matchers, strings,
/// ranges or numbers.
/// </summary>
internal static class PromQl
{
    private static readonly HashSet<string> Aggregations = new(StringComparer.Ordinal)
    {
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
    };

    private static readonly HashSet<string> Grouping = new(StringComparer.Ordinal) { "by", "without", "on", "ignoring", "group_left", "group_right" };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN" };

    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var text = expression;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '"' or '\'' or '`')
            {
                i = AfterString(text, i);
            }
            else if (c is '{' or '[')
            {
                i = AfterClosing(text, i, c == '{' ? '}' : ']');
            }
            else if (char.IsAsciiDigit(c) || c == '.')
            {
                // Numbers and durations: 0.99, 1e-3, 5m.
                i++;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '.'))
                {
                    i++;
                }
            }
            else if (c == '$')
            {
                // A Grafana variable outside a matcher: $__rate_interval, ${pod}.
                i++;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '{' or '}'))
                {
                    i++;
                }
            }
            else if (char.IsAsciiLetter(c) || c is '_' or ':')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or ':'))
                {
                    i++;
                }

                var name = text[start..i];
                var next = i;
                while (next < text.Length && char.IsWhiteSpace(text[next]))
                {
                    next++;
                }

                var call = next < text.Length && text[next] == '(';
                if (Grouping.Contains(name))
                {
                    i = call ? AfterClosing(text, next, ')') : i;
                }
                else if (!call && !Aggregations.Contains(name) && !Keywords.Contains(name))
                {
                    names.Add(name);
                }
            }
            else
            {
                i++;
            }
        }

        return names;
    }

    private static int AfterString(string text, int open)
    {
        var quote = text[open];
        var i = open + 1;
        while (i < text.Length && text[i] != quote)
        {
            i += text[i] == '\\' && quote != '`' ? 2 : 1;
        }

        return Math.Min(i + 1, text.Length);
    }

    private static int AfterClosing(string text, int open, char closing)
    {
        var depth = 0;
        var i = open;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '"' or '\'' or '`')
            {
                i = AfterString(text, i);
                continue;
            }

            if (c == text[open])
            {
                depth++;
            }
            else if (c == closing && --depth == 0)
            {
                return i + 1;
            }

            i++;
        }

        return i;
    }
}
