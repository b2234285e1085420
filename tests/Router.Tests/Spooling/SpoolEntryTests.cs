using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Sinks;
using Beacon.Router.Spooling;

namespace Beacon.Router.Tests.Spooling;

public sealed class SpoolEntryTests
{
    [Theory]
    [InlineData("exposure", 0.25, "{\"n\":1}")]
    [InlineData("", 1.0, "x")]
    [InlineData("route", 0.5, "")]
    public void An_entry_reads_back_as_it_was_written(string route, double sampleRate, string value)
    {
        var record = new SinkRecord("beacon.p2", "k"u8, Encoding.UTF8.GetBytes(value), 1, Priority.P2, route, sampleRate);
        var entry = new byte[SpoolEntry.Size(record)];
        SpoolEntry.Write(record, entry);

        Assert.True(SpoolEntry.TryRead(entry, out var readRoute, out var readSampleRate, out var readValue));
        Assert.Equal(route, readRoute);
        Assert.Equal(sampleRate, readSampleRate);
        Assert.Equal(value, Encoding.UTF8.GetString(readValue));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 5, (byte)'r', (byte)'o' })]
    [InlineData(new byte[] { 1, (byte)'r', 0, 0, 0, 0, 0, 0, 0 })]
    public void An_empty_or_cut_short_entry_is_not_a_spool_entry(byte[] entry) =>
        Assert.False(SpoolEntry.TryRead(entry, out _, out _, out _));
}
