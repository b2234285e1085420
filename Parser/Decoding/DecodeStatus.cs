namespace Beacon.Parser.Decoding;

/// <summary>The outcome of percent-decoding one key or value.</summary>
public enum DecodeStatus : byte
{
    Done = 0,

    /// <summary>A '%' not followed by two hex digits.</summary>
    InvalidEscape = 1,

    /// <summary>The decoded bytes are not well-formed UTF-8.</summary>
    InvalidUtf8 = 2,
}
