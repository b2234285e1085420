using Beacon.Router.Routing;
using Confluent.Kafka;

namespace Beacon.Router.Sinks.Kafka;

/// <summary>
/// The <see cref="KafkaHeaders"/> of each (priority, route, sample rate) built once and shared by every
/// record that carries them: building them per record cost five objects and a UTF-8 copy of the route.
/// Sharing is safe because nothing mutates them after <see cref="Get"/>: Confluent.Kafka only reads a
/// message's headers when it copies them into librdkafka, and the byte-array serialisers add none.
/// Used from one thread (the pipeline's), like the sink.
/// </summary>
internal sealed class KafkaHeaderCache(bool enabled)
{
    /// <summary>Routes × sample rates in force is small; a rule set that keeps changing rates must not grow it without bound.</summary>
    private const int MaxEntries = 4096;

    private readonly Dictionary<(Priority Priority, string Route, double SampleRate), Headers> _headers = [];

    /// <summary>Shared, never filled: Confluent.Kafka would allocate an empty list per record for a null.</summary>
    private readonly Headers _none = [];

    /// <summary>The headers for a record, or none when <see cref="KafkaSinkOptions.Headers"/> is off.</summary>
    public Headers Get(Priority priority, string route, double sampleRate)
    {
        if (!enabled)
        {
            return _none;
        }

        if (_headers.TryGetValue((priority, route, sampleRate), out var headers))
        {
            return headers;
        }

        if (_headers.Count >= MaxEntries)
        {
            _headers.Clear();
        }

        headers = KafkaHeaders.Create(priority, route, sampleRate);
        _headers.Add((priority, route, sampleRate), headers);
        return headers;
    }
}
