namespace Beacon.Parser;

/// <summary>A parameter's own limit (<c>Beacon:Parser:Fields:&lt;name&gt;</c>), e.g. a longer URL, truncated rather than rejected.</summary>
public sealed class FieldLimit
{
    /// <summary>Longest decoded value in bytes; 0 means <see cref="ParserOptions.MaxValueBytes"/>.</summary>
    public int MaxBytes { get; set; }

    /// <summary>Cut an over-long value at the limit (on a UTF-8 boundary, recorded in the record's <c>truncated</c>) instead of rejecting the record.</summary>
    public bool Truncate { get; set; }
}
