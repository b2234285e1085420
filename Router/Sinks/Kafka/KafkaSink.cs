using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Beacon.Router.Spooling;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Beacon.Router.Sinks.Kafka;

/// <summary>
/// The production sink: one long-lived idempotent producer writing each record to its priority's
/// topic, keyed by visitor id, with Beacon's headers. Whatever Kafka can't take — a full producer
/// queue, a failed delivery, brokers down — goes to the <see cref="Spool"/> instead, and a replayer
/// sends it back when Kafka is healthy. Appends never block the pipeline thread.
/// </summary>
public sealed partial class KafkaSink : IRecordSink
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Spool _spool;
    private readonly SpoolReplayer _replayer;
    private readonly KafkaHealth _health = new();
    private readonly ConcurrentQueue<KafkaDelivery> _failed = new();
    private KafkaDelivery? _unspooled;
    private readonly KafkaHeaderCache _headers;
    private readonly Dictionary<string, TopicPartition> _topics = new(StringComparer.Ordinal);

    /// <summary>Reused for every record: Confluent.Kafka copies what it needs into librdkafka during <c>Produce</c>.</summary>
    private readonly Message<byte[], byte[]> _message = new();
    private readonly KafkaSinkOptions _options;
    private readonly KafkaSinkCounters _counters;
    private readonly ILogger _logger;
    private readonly Histogram<double>? _acknowledged;
    private int _brokersUp = -1;
    private bool _queueFull;
    private bool _disposed;

    public KafkaSink(
        KafkaSinkOptions options,
        Spool spool,
        SpoolOptions spoolOptions,
        KafkaSinkCounters counters,
        ILogger<KafkaSink> logger,
        TimeProvider? time = null,
        Histogram<double>? acknowledged = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _spool = spool;
        _counters = counters;
        _logger = logger;
        _acknowledged = acknowledged;
        _headers = new KafkaHeaderCache(options.Headers);
        var config = ProducerConfigFor(options);
        if (options.ShutdownFlushTimeout.TotalMilliseconds <= config.MessageTimeoutMs)
        {
            throw new ArgumentException(
                $"Beacon:Kafka:ShutdownFlushTimeout must exceed message.timeout.ms ({config.MessageTimeoutMs} ms), so every in-flight record is settled before shutdown.",
                nameof(options));
        }

        _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler(OnError)
            .SetLogHandler(OnLog)
            .SetStatisticsHandler(OnStatistics)
            .Build();
        _replayer = new SpoolReplayer(_producer, spool, spoolOptions, _health, counters, _headers, time ?? TimeProvider.System);
    }

    /// <summary>Whether Kafka took the last record we sent it.</summary>
    public bool IsHealthy => _health.IsHealthy;

    /// <summary>Ready while Kafka is healthy, or while the spool still has room.</summary>
    public bool IsReady => _health.IsHealthy || _spool.Counters.Bytes < _spool.MaxBytes;

    /// <summary>Brokers librdkafka reports as up, from its statistics (every 5 s); -1 until the first report.</summary>
    public int BrokersUp => Volatile.Read(ref _brokersUp);

    public Spool Spool => _spool;

    /// <summary>Beacon's producer defaults, then every <see cref="KafkaSinkOptions.Properties"/> entry over them.</summary>
    public static ProducerConfig ProducerConfigFor(KafkaSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = "beacon-" + Environment.MachineName,
            Acks = Acks.All,
            EnableIdempotence = true,
            // lz4, not zstd: librdkafka sets up a zstd context per batch, and a collector's batches are
            // small (records keyed by visitor over many partitions), so zstd cost ~12 µs per pixel
            // here against lz4's ~1.5× the bytes (docs/performance.md, "Kafka compression").
            CompressionType = CompressionType.Lz4,
            LingerMs = 5,
            QueueBufferingMaxMessages = 200_000,
            QueueBufferingMaxKbytes = 256 * 1024,
            MessageTimeoutMs = 10_000,
            ReconnectBackoffMaxMs = 2_000,
            StatisticsIntervalMs = 5_000,
        };
        foreach (var (key, value) in options.Properties)
        {
            config.Set(key, value);
        }

        // What the sink reads from a delivery report: whether the record was persisted. The rest (key,
        // value, headers, timestamp) it keeps itself (KafkaDelivery); by default Confluent.Kafka would
        // marshal all of it back into managed objects for every record.
        config.DeliveryReportFields = "status";
        return config;
    }

    public void Append(in SinkRecord record)
    {
        _counters.CountAppended();
        if (_health.IsHealthy)
        {
            var delivery = new KafkaDelivery(this, record.Topic,
                record.Key.IsEmpty ? null : record.Key.ToArray(), // no key: any partition
                record.Value.ToArray(), record.TimestampMs, record.Priority, record.Route, record.SampleRate, record.Acknowledgement);
            _message.Key = delivery.Key!;
            _message.Value = delivery.Value;
            _message.Timestamp = new Timestamp(record.TimestampMs, TimestampType.CreateTime);
            _message.Headers = _headers.Get(record.Priority, record.Route, record.SampleRate);
            try
            {
                _producer.Produce(TopicPartitionOf(record.Topic), _message, delivery.Report);
                _counters.CountProduced();
                _queueFull = false;
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The producer is as far behind as we let it get: spool rather than wait.
                if (!_queueFull)
                {
                    _queueFull = true;
                    LogQueueFull(_logger);
                }
            }
        }

        _spool.TryAppend(record);
    }

    public void Flush(bool durable)
    {
        SpoolFailedDeliveries();
        _replayer.Step();
        _spool.Flush(durable);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // message.timeout.ms < ShutdownFlushTimeout: every record still in flight is now delivered or failed.
        var left = _producer.Flush(_options.ShutdownFlushTimeout);
        if (left > 0)
        {
            LogUnsettledAtShutdown(_logger, left);
        }

        SpoolFailedDeliveries();
        _replayer.Step();
        _replayer.Dispose();
        _producer.Dispose();
        SpoolFailedDeliveries();
        _spool.Flush(durable: true);
        _spool.Dispose();
    }

    /// <summary>A record's delivery report, on Confluent.Kafka's poll thread.</summary>
    internal void OnDelivery(KafkaDelivery delivery, PersistenceStatus status)
    {
        if (status == PersistenceStatus.Persisted)
        {
            _counters.CountDelivered();
            delivery.Waiter?.Acknowledge(1);
            _health.Succeeded();
            _acknowledged?.Record((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - delivery.ReceivedAtMs) / 1000.0);
            return;
        }

        // Not persisted, or possibly persisted after a timeout: spool it. A possible duplicate keeps its event id.
        _health.Failed();
        _failed.Enqueue(delivery);
        _counters.CountFailed();
    }

    /// <summary>
    /// Moves failed deliveries into the spool on the pipeline thread, the spool's only writer. When the
    /// spool cannot write (a full disk) the record it was given waits for the next flush, and so do the rest.
    /// </summary>
    private void SpoolFailedDeliveries()
    {
        while (_unspooled is not null || _failed.TryDequeue(out _unspooled))
        {
            _spool.TryAppend(_unspooled.ToSinkRecord());
            _unspooled = null;
        }
    }

    /// <summary>Confluent.Kafka's <c>Produce(string, …)</c> allocates a <see cref="TopicPartition"/> per record: keep one per topic.</summary>
    private TopicPartition TopicPartitionOf(string topic)
    {
        if (!_topics.TryGetValue(topic, out var partition))
        {
            partition = new TopicPartition(topic, Partition.Any);
            _topics.Add(topic, partition);
        }

        return partition;
    }

    private void OnError(IProducer<byte[], byte[]> producer, Error error)
    {
        if (error.Code == ErrorCode.Local_AllBrokersDown)
        {
            _health.Failed();
        }

        LogKafkaError(_logger, error.Code, error.Reason, error.IsFatal);
    }

    /// <summary>Counts brokers in state UP; bootstrap entries (node id -1) are connections, not brokers.</summary>
    private void OnStatistics(IProducer<byte[], byte[]> producer, string json)
    {
        using var statistics = JsonDocument.Parse(json);
        if (!statistics.RootElement.TryGetProperty("brokers", out var brokers))
        {
            return;
        }

        var up = 0;
        foreach (var broker in brokers.EnumerateObject())
        {
            if (broker.Value.TryGetProperty("nodeid", out var node) && node.GetInt32() >= 0
                && broker.Value.TryGetProperty("state", out var state) && state.ValueEquals("UP"))
            {
                up++;
            }
        }

        Volatile.Write(ref _brokersUp, up);
    }

    // librdkafka's own log repeats what the error handler reports: keep it for debugging only.
    private void OnLog(IProducer<byte[], byte[]> producer, LogMessage message) =>
        LogLibrdkafka(_logger, message.Facility, message.Message);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Kafka error {Code}: {Reason} (fatal: {IsFatal}); failed records go to the spool.")]
    private static partial void LogKafkaError(ILogger logger, ErrorCode code, string reason, bool isFatal);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    private static partial void LogLibrdkafka(ILogger logger, string facility, string message);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "The producer's queue is full; records go to the spool until it drains.")]
    private static partial void LogQueueFull(ILogger logger);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "{Count} records were still unsettled when the producer closed.")]
    private static partial void LogUnsettledAtShutdown(ILogger logger, int count);
}
