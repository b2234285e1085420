namespace Beacon.Collector.Batch;

/// <summary>Why one event of a batch was rejected (the others are kept). Names (snake_case) are the answer's <c>reason</c>.</summary>
public enum BatchEventRejection : byte
{
    /// <summary>An element of <c>events</c> that is not a JSON object.</summary>
    NotAnObject = 0,

    /// <summary>No event type: <c>event</c> (or <c>e</c>) absent, empty or null, neither in the event nor the batch.</summary>
    MissingEventType,

    /// <summary>The event's JSON text is over <see cref="BatchOptions.MaxEventBytes"/>.</summary>
    EventTooLarge,

    /// <summary>A known field of the wrong type, e.g. <c>time</c> that is neither a non-negative integer nor an ISO 8601 string.</summary>
    InvalidField,

    /// <summary>A value over the parser's <c>MaxValueBytes</c>.</summary>
    FieldTooLong,

    /// <summary>More custom properties (batch's and event's together) than the parser's <c>MaxProperties</c>.</summary>
    TooManyProperties,
}
