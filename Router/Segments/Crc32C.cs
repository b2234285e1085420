using System.Buffers.Binary;
using System.Numerics;

namespace Beacon.Router.Segments;

/// <summary>CRC-32C (Castagnoli) over spans; <see cref="BitOperations.Crc32C(uint, ulong)"/> uses the CPU's instruction where it has one.</summary>
public static class Crc32C
{
    public const uint Seed = uint.MaxValue;

    /// <summary>Continues a running CRC; start from <see cref="Seed"/> and finish with <see cref="Finish"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    public static uint Finish(uint crc) => ~crc;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));
}
