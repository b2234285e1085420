namespace Beacon.Collector.Batch;

/// <summary>Limits and behaviour of <c>POST /v1/batch</c>. Bound from <c>Beacon:Batch</c>.</summary>
public sealed class BatchOptions
{
    /// <summary>Largest request body as sent (compressed or not), in bytes; larger → 413 <c>body_too_large</c>. Default 1 MiB.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Largest body after decompression, in bytes; checked while decompressing, so a compression bomb stops
    /// here → 413 <c>decompressed_too_large</c>. Default 10 MiB.
    /// </summary>
    public int MaxDecompressedBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Most events in one batch; more → 413 <c>too_many_events</c>. Default 1000.</summary>
    public int MaxEvents { get; set; } = 1000;

    /// <summary>Largest event (its JSON text as sent), in bytes; larger → that event is rejected (<c>event_too_large</c>). Default 32 KiB.</summary>
    public int MaxEventBytes { get; set; } = 32 * 1024;

    /// <summary>Deepest nesting of objects and arrays (the batch object is depth 1); deeper → 413 <c>json_too_deep</c>. Default 32.</summary>
    public int MaxDepth { get; set; } = 32;

    /// <summary>
    /// How long a request waits for its events to be durable (Kafka acknowledged, or fsync'd) before it
    /// answers 503. Longer than the producer's <c>message.timeout.ms</c> (10 s by default), so a batch
    /// caught by a Kafka outage is spooled and acknowledged rather than refused. Default 15 s.
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The <c>Retry-After</c> of a 503, in whole seconds. Default 5 s.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an answered batch id is remembered, so a retry gets the same answer without a second copy. Default 10 min.</summary>
    public TimeSpan BatchIdTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most batch ids remembered (with their answers: ~100 B to a few KB each, more for a batch with many rejected events); the oldest answered are forgotten first past it. Default 100,000.</summary>
    public int BatchIdCapacity { get; set; } = 100_000;

    /// <summary>Longest batch id accepted, in characters; longer → 400 <c>invalid_batch_id</c>. Default 128.</summary>
    public int MaxBatchIdLength { get; set; } = 128;
}
