using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;

namespace Beacon.Tests.Kafka;

/// <summary>
/// A real consumer group reading topics back on its own thread from the moment it is created (the mock
/// cluster drops old data past a few MiB per partition, so tests consume while they produce).
/// </summary>
internal sealed class TopicReader : IDisposable
{
    private readonly ConcurrentQueue<ConsumeResult<byte[], byte[]>> _records = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public TopicReader(string bootstrapServers, params string[] topics)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "beacon-test-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
            ReconnectBackoffMaxMs = 1000,
        };
        _thread = new Thread(() =>
        {
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler(static (_, _) => { }).Build();
            consumer.Subscribe(topics);
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: not null } result)
                    {
                        _records.Enqueue(result);
                    }
                }
                catch (ConsumeException)
                {
                    // brokers down in an outage test: keep polling
                }
            }

            consumer.Close();
        }) { IsBackground = true, Name = "test-topic-reader" };
        _thread.Start();
    }

    public IReadOnlyList<ConsumeResult<byte[], byte[]>> Records => [.. _records];

    public int Count => _records.Count;

    /// <summary>Waits until at least <paramref name="count"/> records arrived, then a little longer to catch duplicates.</summary>
    public async Task<IReadOnlyList<ConsumeResult<byte[], byte[]>>> WaitForAsync(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (_records.Count < count && clock.Elapsed < timeout)
        {
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        return Records;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }
}
