using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

#pragma warning disable CA1050 // The runtime looks for a type named exactly StartupHook, outside any namespace.

/// <summary>
/// Called by the runtime before <c>Main</c> when this assembly is named in <c>DOTNET_STARTUP_HOOKS</c>:
/// listens to the runtime's sampled allocation events and, as the process exits, prints one line per
/// type to standard error, largest first: <c>alloc-probe: BYTES TYPE</c> (bytes are the samples' sums,
/// so good to ~100 KB per type), then <c>alloc-probe: total BYTES</c>.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var listener = new AllocationListener(); // kept alive by the handler below
        AppDomain.CurrentDomain.ProcessExit += (_, _) => listener.Report(Console.Error, 30);
    }

    private sealed class AllocationListener : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

        public void Report(TextWriter output, int top)
        {
            foreach (var (type, bytes) in _bytes.OrderByDescending(static p => p.Value).Take(top))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alloc-probe: {bytes} {type}"));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alloc-probe: total {_bytes.Values.Sum()}"));
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is null || eventData.PayloadNames is null)
            {
                return;
            }

            var type = eventData.Payload[eventData.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            var bytes = Convert.ToInt64(eventData.Payload[eventData.PayloadNames.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
            _bytes.AddOrUpdate(type, bytes, (_, sum) => sum + bytes);
        }
    }
}
