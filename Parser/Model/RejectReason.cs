namespace Beacon.Parser.Model;

/// <summary>Why a record went to the dead-letter topic instead of its route. Stable: dashboards and DLQ readers key on it.</summary>
public enum RejectReason : byte
{
    None = 0,

    /// <summary>A '%' not followed by two hex digits.</summary>
    InvalidPercentEncoding,

    /// <summary>A key or value that does not decode to well-formed UTF-8.</summary>
    InvalidUtf8,

    /// <summary>No event type (<c>e</c>).</summary>
    MissingEventType,

    /// <summary>A client time (<c>t</c>) that is not a Unix-milliseconds integer.</summary>
    InvalidClientTime,

    /// <summary>A parameter whose name is empty (<c>=value</c>).</summary>
    EmptyParameterName,

    /// <summary>A decoded value longer than the configured limit.</summary>
    FieldTooLong,

    /// <summary>More custom properties than the configured limit.</summary>
    TooManyProperties,

    /// <summary>A User-Agent or Referer header that is not well-formed UTF-8.</summary>
    InvalidHeader,

    /// <summary>The pipeline failed on this record; the log has the details.</summary>
    InternalError,

    /// <summary>An SPM position (<c>spm</c>, <c>src</c>, <c>ssrc</c>) that is not 1 to 4 non-empty dot-separated parts.</summary>
    InvalidSpm,

    /// <summary>A numeric parameter (<c>dwell</c>) that is not a non-negative integer.</summary>
    InvalidNumber,

    /// <summary>An event type not in <c>Beacon:Parser:EventTypes</c> while <c>StrictEventTypes</c> is on.</summary>
    UnknownEventType,
}
