using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Beacon.Collector.Diagnostics;

/// <summary>
/// Renders <see cref="System.Diagnostics.Metrics"/> instruments in the Prometheus text exposition
/// format (0.0.4): counters, gauges and histograms with buckets, <c># HELP</c>/<c># TYPE</c>, escaped
/// labels. A <see cref="MeterListener"/> aggregates what the chosen meters record; observable
/// instruments are read at scrape time. Names follow Prometheus conventions: dots become
/// underscores, the unit becomes a suffix (<c>_seconds</c>, <c>_bytes</c>), counters end in <c>_total</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Beacon's own meter, ASP.NET Core's request and Kestrel meters, and the runtime's (CPU, memory, GC, thread pool).</summary>
    public static IReadOnlyList<string> DefaultMeters { get; } =
        [BeaconMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    private static readonly double[] DefaultSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();
    private readonly Lock _scrape = new();

    /// <param name="meterNames">The meters to export.</param>
    /// <param name="scope">
    /// Only meters made by this <see cref="IMeterFactory"/> (or by none, like the runtime's): another
    /// host in the process (the admin listener) has its own hosting meters with the same names.
    /// </param>
    public PrometheusExporter(IEnumerable<string> meterNames, IMeterFactory? scope = null)
    {
        var meters = meterNames.ToHashSet(StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter.Name) && (instrument.Meter.Scope is null || instrument.Meter.Scope == scope))
            {
                var series = _instruments.GetOrAdd(instrument, static i => new InstrumentSeries(i));
                listener.EnableMeasurementEvents(instrument, series);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _instruments.TryRemove(instrument, out var removed);
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>The Content-Type of <see cref="Scrape"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Reads the observable instruments and renders every series.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            _listener.RecordObservableInstruments();
            var text = new StringBuilder(16 * 1024);
            foreach (var group in _instruments.Values.GroupBy(static s => s.PrometheusName).OrderBy(static g => g.Key, StringComparer.Ordinal))
            {
                var first = group.First();
                text.Append("# HELP ").Append(group.Key).Append(' ').Append(EscapeHelp(first.Instrument.Description ?? first.Instrument.Name)).Append('\n');
                text.Append("# TYPE ").Append(group.Key).Append(' ').Append(first.Type).Append('\n');
                foreach (var series in group)
                {
                    series.WriteTo(text);
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary><c>http.server.request.duration</c> in seconds → <c>http_server_request_duration_seconds</c>.</summary>
    public static string PrometheusName(string name, string? unit, bool counter)
    {
        var text = new StringBuilder(name.Length + 16);
        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        var suffix = unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            "%" => "_percent",
            _ => "",
        };
        if (suffix.Length > 0 && !EndsWith(text, suffix))
        {
            text.Append(suffix);
        }

        if (counter && !EndsWith(text, "_total"))
        {
            text.Append("_total");
        }

        return text.ToString();
    }

    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string LabelName(string key)
    {
        var name = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return name.Length > 0 && char.IsAsciiDigit(name[0]) ? "_" + name : name.ToString();
    }

    private static bool EndsWith(StringBuilder text, string suffix) =>
        text.Length >= suffix.Length && text.ToString(text.Length - suffix.Length, suffix.Length) == suffix;

    private static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Every tag set one instrument has recorded, with its aggregate.</summary>
    private sealed class InstrumentSeries
    {
        private static readonly string[] ReservedSuffixes = ["_count", "_sum", "_bucket"];

        /// <summary>Tag sets found without building label text; past this many, the rest are built each time.</summary>
        private const int MaxRememberedTagSets = 64;

        private readonly ConcurrentDictionary<string, Aggregate> _byLabels = new(StringComparer.Ordinal);
        private readonly Lock _seenLock = new();
        private volatile TagSet[] _seen = [];
        private readonly Aggregate _unlabelled;
        private readonly double[]? _buckets;
        private readonly bool _cumulative;

        public InstrumentSeries(Instrument instrument)
        {
            Instrument = instrument;
            var type = instrument.GetType().GetGenericTypeDefinition();
            (Type, _cumulative) = type.Name switch
            {
                "Counter`1" => ("counter", false),
                "ObservableCounter`1" => ("counter", true),
                "UpDownCounter`1" => ("gauge", false),
                "Histogram`1" => ("histogram", false),
                _ => ("gauge", true), // observable up/down counters and gauges report their current value
            };
            if (Type == "histogram")
            {
                _buckets = BucketsOf(instrument);
            }

            PrometheusName = PrometheusExporter.PrometheusName(instrument.Name, instrument.Unit, Type == "counter");
            if (Type == "gauge" && ReservedSuffixes.Any(suffix => PrometheusName.EndsWith(suffix, StringComparison.Ordinal)))
            {
                // e.g. the runtime's dotnet.assembly.count: those suffixes belong to histograms (promtool lints it).
                PrometheusName += "_value";
            }
            _unlabelled = new Aggregate("", _buckets);
        }

        public Instrument Instrument { get; }

        public string Type { get; }

        public string PrometheusName { get; }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var aggregate = tags.IsEmpty ? _unlabelled : AggregateFor(tags);
            if (_buckets is not null)
            {
                aggregate.Observe(value, _buckets);
            }
            else if (_cumulative)
            {
                aggregate.Set(value);
            }
            else
            {
                aggregate.Add(value);
            }
        }

        /// <summary>
        /// The series of a tag set. ASP.NET's http.server.* instruments measure every request with tags
        /// while their distinct tag sets are few, so sets seen before are found by comparing the tags
        /// themselves: building the label text (strings, a list, a sort) per request cost more CPU and
        /// garbage than the request's own handling.
        /// </summary>
        private Aggregate AggregateFor(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var seen in _seen)
            {
                if (seen.Matches(tags))
                {
                    return seen.Aggregate;
                }
            }

            var aggregate = _byLabels.GetOrAdd(Labels(tags), static (labels, buckets) => new Aggregate(labels, buckets), _buckets);
            lock (_seenLock)
            {
                if (_seen.Length < MaxRememberedTagSets)
                {
                    _seen = [.. _seen, new TagSet(tags.ToArray(), aggregate)];
                }
            }

            return aggregate;
        }

        public void WriteTo(StringBuilder text)
        {
            foreach (var aggregate in _byLabels.Values.Prepend(_unlabelled).Where(static a => a.HasValue).OrderBy(static a => a.Labels, StringComparer.Ordinal))
            {
                if (_buckets is null)
                {
                    text.Append(PrometheusName).Append(Braces(aggregate.Labels)).Append(' ').Append(Format(aggregate.Value)).Append('\n');
                    continue;
                }

                var (counts, sum, count) = aggregate.Snapshot();
                long cumulative = 0;
                for (var i = 0; i <= _buckets.Length; i++)
                {
                    cumulative += counts[i];
                    var le = i < _buckets.Length ? Format(_buckets[i]) : "+Inf";
                    var labels = aggregate.Labels.Length == 0 ? $"le=\"{le}\"" : $"{aggregate.Labels},le=\"{le}\"";
                    text.Append(PrometheusName).Append("_bucket{").Append(labels).Append("} ").Append(cumulative).Append('\n');
                }

                text.Append(PrometheusName).Append("_sum").Append(Braces(aggregate.Labels)).Append(' ').Append(Format(sum)).Append('\n');
                text.Append(PrometheusName).Append("_count").Append(Braces(aggregate.Labels)).Append(' ').Append(count).Append('\n');
            }
        }

        private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new List<string>(tags.Length);
            foreach (var tag in tags)
            {
                var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "";
                pairs.Add($"{LabelName(tag.Key)}=\"{EscapeLabelValue(value)}\"");
            }

            pairs.Sort(StringComparer.Ordinal);
            return string.Join(',', pairs);
        }

        private static double[] BucketsOf(Instrument instrument) => instrument switch
        {
            Histogram<double> { Advice.HistogramBucketBoundaries: { } b } => [.. b],
            Histogram<long> { Advice.HistogramBucketBoundaries: { } b } => [.. b.Select(static v => (double)v)],
            Histogram<int> { Advice.HistogramBucketBoundaries: { } b } => [.. b.Select(static v => (double)v)],
            _ when instrument.Unit == "s" => DefaultSecondsBuckets,
            _ => [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
        };
    }

    /// <summary>A tag set as measured (keys, values, order) and the series it belongs to.</summary>
    private sealed class TagSet(KeyValuePair<string, object?>[] tags, Aggregate aggregate)
    {
        public Aggregate Aggregate { get; } = aggregate;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> other)
        {
            if (other.Length != tags.Length)
            {
                return false;
            }

            for (var i = 0; i < tags.Length; i++)
            {
                if (!string.Equals(tags[i].Key, other[i].Key, StringComparison.Ordinal) || !Equals(tags[i].Value, other[i].Value))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>One series' value, or one histogram's buckets; updated from any thread.</summary>
    private sealed class Aggregate(string labels, double[]? buckets)
    {
        private readonly long[]? _counts = buckets is null ? null : new long[buckets.Length + 1];
        private double _value;
        private double _sum;
        private long _count;
        private bool _hasValue;

        public string Labels { get; } = labels;

        public bool HasValue => Volatile.Read(ref _hasValue);

        public double Value => Volatile.Read(ref _value);

        public void Set(double value)
        {
            Volatile.Write(ref _value, value);
            Volatile.Write(ref _hasValue, true);
        }

        public void Add(double value)
        {
            double seen, next;
            do
            {
                seen = Volatile.Read(ref _value);
                next = seen + value;
            }
            while (Interlocked.CompareExchange(ref _value, next, seen) != seen);
            Volatile.Write(ref _hasValue, true);
        }

        public void Observe(double value, double[] bounds)
        {
            var bucket = Array.BinarySearch(bounds, value);
            bucket = bucket >= 0 ? bucket : ~bucket; // the first bound >= value; past the last: +Inf
            lock (this)
            {
                _counts![bucket]++;
                _sum += value;
                _count++;
                _hasValue = true;
            }
        }

        public (long[] Counts, double Sum, long Count) Snapshot()
        {
            lock (this)
            {
                return ([.. _counts!], _sum, _count);
            }
        }
    }
}
