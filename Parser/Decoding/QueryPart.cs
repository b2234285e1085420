namespace Beacon.Parser.Decoding;

/// <summary>A key or a value of a raw query: <c>[Start, End)</c>, and whether it holds a '%' or '+' to decode.</summary>
internal readonly record struct QueryPart(int Start, int End, bool Escaped);
