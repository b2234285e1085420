using System.Runtime.InteropServices;

namespace Beacon.Collector.Batch;

/// <summary>
/// The system's <c>libzstd.so.1</c> (the registry has no managed zstd): the streaming decompression API,
/// plus one-shot compression for tests and the load client.
/// </summary>
internal static unsafe partial class Zstd
{
    private const string Library = "libzstd.so.1";

    [StructLayout(LayoutKind.Sequential)]
    internal struct Buffer
    {
        public byte* Data;
        public nuint Size;
        public nuint Position;
    }

    [LibraryImport(Library, EntryPoint = "ZSTD_createDStream")]
    internal static partial nint CreateDStream();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDStream")]
    internal static partial nuint FreeDStream(nint stream);

    [LibraryImport(Library, EntryPoint = "ZSTD_initDStream")]
    internal static partial nuint InitDStream(nint stream);

    /// <summary>0 when a frame is fully decoded and flushed; an error code (see <see cref="IsError"/>); else more is to come.</summary>
    [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
    internal static partial nuint DecompressStream(nint stream, Buffer* output, Buffer* input);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    internal static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    internal static partial nuint CompressBound(nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_compress")]
    internal static partial nuint Compress(byte* destination, nuint capacity, byte* source, nuint sourceSize, int level);

    /// <summary>One zstd frame of <paramref name="source"/>.</summary>
    public static byte[] CompressFrame(ReadOnlySpan<byte> source, int level = 3)
    {
        var destination = new byte[(int)CompressBound((nuint)source.Length)];
        nuint written;
        fixed (byte* from = source)
        fixed (byte* to = destination)
        {
            written = Compress(to, (nuint)destination.Length, from, (nuint)source.Length, level);
        }

        if (IsError(written) != 0)
        {
            throw new InvalidOperationException("ZSTD_compress failed");
        }

        return destination[..(int)written];
    }
}
