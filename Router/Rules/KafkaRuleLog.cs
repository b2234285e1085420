using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Beacon.Router.Rules;

/// <summary>
/// The config log on Kafka: every version is a record keyed <c>v{version}</c> in partition 0 of the
/// compacted config topic (one key per version, so compaction keeps the whole history). Every replica
/// reads the partition from the start and follows it; the partition's order decides which of two
/// concurrent writers of a version wins, the same way on every replica.
/// </summary>
public sealed partial class KafkaRuleLog : IRuleLog
{
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(10);
    private readonly TopicPartition _partition;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _thread;

    public KafkaRuleLog(string bootstrapServers, string topic, IDictionary<string, string> properties, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(properties);
        _partition = new TopicPartition(topic, 0);
        _logger = logger;
        var producer = new ProducerConfig(properties.ToDictionary(StringComparer.Ordinal))
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            MessageTimeoutMs = 10_000,
        };
        _producer = new ProducerBuilder<byte[], byte[]>(producer).SetLogHandler((_, _) => { }).Build();
        var consumer = new ConsumerConfig(properties.ToDictionary(StringComparer.Ordinal))
        {
            BootstrapServers = bootstrapServers,
            // Partitions are assigned, not subscribed: the group is never joined, offsets are never committed.
            GroupId = "beacon-config-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 100,
        };
        _consumer = new ConsumerBuilder<byte[], byte[]>(consumer).SetLogHandler((_, _) => { }).Build();
    }

    public Task StartAsync(RuleBook book, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(book);
        _consumer.Assign(new TopicPartitionOffset(_partition, Offset.Beginning));
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Follow(book, caughtUp)) { Name = "beacon-config", IsBackground = true };
        _thread.Start();
        // Serve with the stored rules from the first request when Kafka answers; start anyway when it does not.
        return caughtUp.Task.WaitAsync(CatchUpTimeout, cancellationToken).ContinueWith(
            t => { if (t.IsFaulted) { LogCatchUpTimedOut(_logger); } },
            cancellationToken, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public async Task AppendAsync(RuleSet version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"v{version.Version}"), Value = RuleSetJson.WriteVersion(version) };
        await _producer.ProduceAsync(_partition, message, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(5));
        _consumer.Close();
        _consumer.Dispose();
        _producer.Dispose();
        _stopping.Dispose();
    }

    private void Follow(RuleBook book, TaskCompletionSource caughtUp)
    {
        long highWatermark = -1;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                if (highWatermark < 0)
                {
                    highWatermark = _consumer.QueryWatermarkOffsets(_partition, TimeSpan.FromSeconds(2)).High.Value;
                    if (highWatermark == 0)
                    {
                        caughtUp.TrySetResult();
                    }
                }

                var result = _consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result?.Message is { Value: not null } message)
                {
                    Apply(book, message.Value);
                    if (result.Offset.Value + 1 >= highWatermark)
                    {
                        caughtUp.TrySetResult();
                    }
                }
            }
            catch (KafkaException ex)
            {
                var reason = ex.Error.Reason;
                LogReadFailed(_logger, reason);
                _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
        }
    }

    private void Apply(RuleBook book, byte[] value)
    {
        try
        {
            book.Accept(RuleSetJson.ReadVersion(value));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or RuleValidationException)
        {
            // A record nobody valid wrote (a stray producer): skip it rather than stop following.
            LogBadRecord(_logger, ex);
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "The config topic did not answer in time; starting with the rules read so far and following it.")]
    private static partial void LogCatchUpTimedOut(ILogger logger);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Reading the config topic failed: {Reason}; retrying.")]
    private static partial void LogReadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "Skipped a config topic record that is not a rule version.")]
    private static partial void LogBadRecord(ILogger logger, Exception exception);
}
