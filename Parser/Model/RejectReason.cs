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
}
