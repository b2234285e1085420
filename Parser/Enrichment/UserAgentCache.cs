using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// Parsed User-Agents by their UTF-8 bytes, bounded. Looked up with the bytes as they sit in the
/// record, so a hit allocates nothing. Two generations: new entries go to the young one; when it is
/// full it becomes the old one and the previous old one is dropped; a hit in the old generation moves
/// the entry back to the young one. So User-Agents still in use survive a turnover, and the cache
/// never holds more than its capacity. Safe for concurrent use.
/// </summary>
/// <remarks>
/// In front of the generations sits a small direct-mapped index of recent entries under a cheap
/// hash (CRC-32C, in hardware): a hit there skips the dictionaries' keyed hash, which is built to
/// resist flooding and costs more than the rest of the look-up. A crafted collision only costs a
/// front miss, since every front hit is checked byte for byte and against the entry's generation.
/// </remarks>
internal sealed class UserAgentCache
{
    private const int FrontSlots = 512; // a power of two

    private readonly int _generationSize;
    private readonly Lock _turnover = new();
    private readonly Entry?[] _front = new Entry?[FrontSlots];
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
        ref var slot = ref _front[FrontSlot(userAgent)];
        var entry = slot;
        if (entry is not null && entry.Key.AsSpan().SequenceEqual(userAgent))
        {
            var home = entry.Home;
            if (home == _young)
            {
                info = entry.Info;
                return true;
            }

            if (home == _old)
            {
                Keep(entry); // still in use: keep it through the next turnover
                info = entry.Info;
                return true;
            }
        }

        if (_young.Lookup.TryGetValue(userAgent, out entry))
        {
            slot = entry;
            info = entry.Info;
            return true;
        }

        if (_old.Lookup.TryGetValue(userAgent, out entry))
        {
            Keep(entry);
            slot = entry;
            info = entry.Info;
            return true;
        }

        info = null;
        return false;
    }

    /// <summary>Adds an entry; <paramref name="userAgent"/> becomes the key and must not change afterwards.</summary>
    public void Add(byte[] userAgent, UserAgentInfo info)
    {
        var entry = new Entry(userAgent, info);
        Keep(entry);
        _front[FrontSlot(userAgent)] = entry;
    }

    /// <summary>Puts <paramref name="entry"/> in the young generation, turning the generations over when it is full.</summary>
    private void Keep(Entry entry)
    {
        var young = _young;
        var added = young.Map.TryAdd(entry.Key, entry);
        entry.Home = young;
        if (added && Interlocked.Increment(ref young.Count) >= _generationSize)
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

    /// <summary>The front slot of a User-Agent: CRC-32C over two interleaved 8-byte lanes.</summary>
    private static int FrontSlot(ReadOnlySpan<byte> userAgent)
    {
        var a = (uint)userAgent.Length;
        var b = 0u;
        var i = 0;
        for (; i + 16 <= userAgent.Length; i += 16)
        {
            a = BitOperations.Crc32C(a, BinaryPrimitives.ReadUInt64LittleEndian(userAgent[i..]));
            b = BitOperations.Crc32C(b, BinaryPrimitives.ReadUInt64LittleEndian(userAgent[(i + 8)..]));
        }

        if (userAgent.Length >= 8)
        {
            // The last 8 bytes, overlapping what the lanes read: no byte loop for the tail.
            a = BitOperations.Crc32C(a, BinaryPrimitives.ReadUInt64LittleEndian(userAgent[^8..]));
            if (i + 8 < userAgent.Length)
            {
                b = BitOperations.Crc32C(b, BinaryPrimitives.ReadUInt64LittleEndian(userAgent[i..]));
            }
        }
        else
        {
            foreach (var c in userAgent)
            {
                a = BitOperations.Crc32C(a, c);
            }
        }

        return (int)((a ^ (b >> 7) ^ (b << 13)) & (FrontSlots - 1));
    }

    /// <summary>A parsed User-Agent and the generation that holds it now.</summary>
    private sealed class Entry(byte[] key, UserAgentInfo info)
    {
        public readonly byte[] Key = key;
        public readonly UserAgentInfo Info = info;
        public volatile Generation? Home;
    }

    private sealed class Generation
    {
        public readonly ConcurrentDictionary<byte[], Entry> Map = new(Utf8Comparer.Instance);
        public readonly ConcurrentDictionary<byte[], Entry>.AlternateLookup<ReadOnlySpan<byte>> Lookup;

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
