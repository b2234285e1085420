namespace Beacon.Collector.Batch;

/// <summary>Why a whole batch was refused: nothing of it was enqueued. Names (snake_case) are the JSON <c>error</c>.</summary>
public enum BatchRefusal : byte
{
    /// <summary>415: a <c>Content-Encoding</c> other than identity, gzip, br or zstd.</summary>
    UnsupportedEncoding = 0,

    /// <summary>415: a <c>Content-Type</c> other than JSON.</summary>
    UnsupportedMediaType,

    /// <summary>413: the body as sent is over <see cref="BatchOptions.MaxBodyBytes"/>.</summary>
    BodyTooLarge,

    /// <summary>413: the decompressed body is over <see cref="BatchOptions.MaxDecompressedBytes"/>.</summary>
    DecompressedTooLarge,

    /// <summary>413: more than <see cref="BatchOptions.MaxEvents"/> events.</summary>
    TooManyEvents,

    /// <summary>413: nesting deeper than <see cref="BatchOptions.MaxDepth"/>.</summary>
    JsonTooDeep,

    /// <summary>400: the compressed body does not decompress (corrupt or truncated).</summary>
    InvalidCompression,

    /// <summary>400: the body is not well-formed JSON (the answer gives the position).</summary>
    MalformedJson,

    /// <summary>400: well-formed JSON that is not a batch: not an object, no <c>events</c> array, or a batch field of the wrong type.</summary>
    InvalidBatch,

    /// <summary>400: a batch id that is empty or too long.</summary>
    InvalidBatchId,

    /// <summary>503: the ring had no room for the whole batch.</summary>
    RingFull,

    /// <summary>503: the sink could not keep every event (Kafka down and the spool full).</summary>
    SinkFailed,

    /// <summary>503: the events were not durable within <see cref="BatchOptions.AckTimeout"/>.</summary>
    AckTimeout,
}
