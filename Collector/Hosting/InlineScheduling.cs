using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Beacon.Collector.Hosting;

/// <summary>
/// Requests run on the socket's event thread instead of being handed to a thread-pool worker per read:
/// the runtime's socket engine completes inline (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, one
/// event thread per core) and Kestrel's <c>UnsafePreferInlineScheduling</c> follows it. A pixel is a few
/// microseconds of work, so the hand-off (a futex wake-up) cost more than the pixel; docs/performance.md
/// measured 0.70-0.80x nginx with it against 0.62-0.65x without. Work that takes longer than a pixel
/// (a batch's decompression and parsing) must move itself off the event thread.
/// </summary>
public static partial class InlineScheduling
{
    /// <summary>The socket engine reads this once, from the environment only, when the first socket starts.</summary>
    public const string EnvironmentVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether the socket engine completes inline (the variable is "1", as the runtime checks it).</summary>
    public static bool SocketsCompleteInline => Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";

    /// <summary>
    /// Turns inline completions on unless the environment already says either way (<c>=0</c> turns them off).
    /// Only takes effect before the process's first socket, so <c>Program</c> calls it first.
    /// </summary>
    public static void DefaultOn()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is null)
        {
            Environment.SetEnvironmentVariable(EnvironmentVariable, "1");
        }
    }

    /// <summary>At start-up, so an operator looking at latency can see where requests run.</summary>
    public static void LogMode(ILogger logger, SocketTransportOptions transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        LogMode(logger, SocketsCompleteInline, transport.UnsafePreferInlineScheduling);
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Inline scheduling: sockets complete inline: {SocketsInline} ("
        + EnvironmentVariable + "); Kestrel runs requests where they complete: {KestrelInline} (Beacon:Transport:UnsafePreferInlineScheduling)")]
    private static partial void LogMode(ILogger logger, bool socketsInline, bool kestrelInline);
}
