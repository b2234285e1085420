namespace Beacon.Router.Sinks.Kafka;

/// <summary>Whether Kafka is taking records: the last delivery's outcome, or "all brokers down".</summary>
internal sealed class KafkaHealth
{
    private volatile bool _healthy = true;

    public bool IsHealthy => _healthy;

    public void Succeeded() => _healthy = true;

    public void Failed() => _healthy = false;
}
