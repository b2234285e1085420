namespace Beacon.Parser;

/// <summary>Limits the decoder enforces per record. Bound from <c>Beacon:Parser</c>.</summary>
public sealed class ParserOptions
{
    /// <summary>Longest decoded value, in bytes; a longer one rejects the record. Default 4096.</summary>
    public int MaxValueBytes { get; set; } = 4096;

    /// <summary>Most custom properties (unknown parameters) per record; more rejects the record. Default 64.</summary>
    public int MaxProperties { get; set; } = 64;
}
