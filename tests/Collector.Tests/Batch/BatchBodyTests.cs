using System.Buffers;
using Beacon.Collector.Batch;
using static Beacon.Collector.Tests.Batch.BatchRequests;

namespace Beacon.Collector.Tests.Batch;

/// <summary><see cref="BatchBody"/> on its own: the decompressed limit at its edge, in every encoding.</summary>
public sealed class BatchBodyTests
{
    private const int Limit = 100_000; // past the 64 KiB first buffer, so the buffer grows on the way

    [Theory]
    [InlineData("identity")]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    public void A_body_of_exactly_the_limit_decodes_whole_and_one_byte_more_is_decompressed_too_large(string encoding)
    {
        var exact = Content(Limit);

        var atLimit = BatchBody.TryDecode(new ReadOnlySequence<byte>(Encode(exact, encoding)), encoding, Limit, out var decoded);
        var over = BatchBody.TryDecode(new ReadOnlySequence<byte>(Encode(Content(Limit + 1), encoding)), encoding, Limit, out var none);

        using (decoded)
        {
            Assert.Null(atLimit);
            Assert.NotNull(decoded);
            Assert.True(decoded.Json.SequenceEqual(exact));
        }

        Assert.Equal(BatchRefusal.DecompressedTooLarge, over);
        Assert.Null(none);
    }

    private static byte[] Content(int bytes)
    {
        var content = new byte[bytes];
        for (var i = 0; i < bytes; i++)
        {
            content[i] = (byte)('a' + (i * 7 % 26));
        }

        return content;
    }
}
