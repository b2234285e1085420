using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// Parsed User-Agents by their UTF-8 bytes, bounded. Looked up with the bytes as they sit in the
/// record, so a hit allocates nothing. Two generations: new entries go to the young one; when it is
/// full it becomes the old one and the previous old one is dropped; a hit in the old generation moves
/// the entry back to the young one. So User-Agents still in use survive a turnover, and the cache
/// never holds more than its capacity. Safe for concurrent use.
/// </summary>
internal sealed class UserAgentCache
{
    private readonly int _generationSize;
    private readonly Lock _turnover = new();
    private volatile Generation _young = new();
    private volatile Generation _old = new();

    /// <param name="capacity">Most entries held; at least 2.</param>
    public UserAgentCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _generationSize = capacity / 2;
    }

    /// <summary>Entries held now.</summary>
    public int Count => _young.Count + _old.Count;

    public bool TryGet(ReadOnlySpan<byte> userAgent, [NotNullWhen(true)] out UserAgentInfo? info)
    {
        if (_young.Lookup.TryGetValue(userAgent, out info))
        {
            return true;
        }

        if (_old.Lookup.TryGetValue(userAgent, out var key, out info))
        {
            Add(key, info); // still in use: keep it through the next turnover
            return true;
        }

        return false;
    }

    /// <summary>Adds an entry; <paramref name="userAgent"/> becomes the key and must not change afterwards.</summary>
    public void Add(byte[] userAgent, UserAgentInfo info)
    {
        var young = _young;
        if (young.Map.TryAdd(userAgent, info) && Interlocked.Increment(ref young.Count) >= _generationSize)
        {
            lock (_turnover)
            {
                if (_young == young)
                {
                    _old = young;
                    _young = new Generation();
                }
            }
        }
    }

    private sealed class Generation
    {
        public readonly ConcurrentDictionary<byte[], UserAgentInfo> Map = new(Utf8Comparer.Instance);
        public readonly ConcurrentDictionary<byte[], UserAgentInfo>.AlternateLookup<ReadOnlySpan<byte>> Lookup;

        // Counted here: ConcurrentDictionary.Count takes every lock.
        public int Count;

        public Generation() => Lookup = Map.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Byte-wise equality, with spans as the alternate key so look-ups need no array.</summary>
    private sealed class Utf8Comparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly Utf8Comparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            // Randomly seeded per process (Marvin, as for strings), so crafted User-Agents cannot flood
            // one bucket. The bytes are read as chars two at a time: Marvin takes 8 bytes per round,
            // several times faster than HashCode.AddBytes' 4-byte rounds on a ~120-byte User-Agent.
            var hash = string.GetHashCode(MemoryMarshal.Cast<byte, char>(alternate));
            return (alternate.Length & 1) == 0 ? hash : HashCode.Combine(hash, alternate[^1]);
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
