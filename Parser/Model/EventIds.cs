using System.Buffers.Binary;

namespace Beacon.Parser.Model;

/// <summary>
/// Time-ordered event ids (UUID version 7). They must be unique, not secret, so the random bits
/// come from <see cref="Random.Shared"/> rather than the system CSPRNG, which costs a system call
/// per id (<see cref="Guid.CreateVersion7()"/>) on the pipeline's hottest path.
/// </summary>
internal static class EventIds
{
    public static Guid NewVersion7(long unixMilliseconds)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, unixMilliseconds);
        time[2..].CopyTo(bytes); // the low 48 bits, big-endian
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70); // version 7
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
