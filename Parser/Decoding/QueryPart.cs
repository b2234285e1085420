namespace Beacon.Parser.Decoding;

/// <summary>A key or a value of a raw query: <c>[Start, End)</c>.</summary>
internal readonly record struct QueryPart(int Start, int End);
