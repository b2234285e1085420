using System.Collections.Concurrent;
using System.Text;
using Beacon.Collector.Tests.Hosting;

namespace Beacon.Collector.Tests.Diagnostics;

/// <summary>What reaches the logs, at the most verbose level, when requests carry secrets and control characters.</summary>
public sealed class LogHygieneTests
{
    private const string VisitorId = "5f0c2b7e9a4d4c1e8b3a6d2f1e0c9b8a";
    private const string Token = "tok-7d1e4f3a9c2b";

    [Fact]
    public async Task Cookies_tokens_and_control_characters_never_reach_the_logs()
    {
        var captured = new CapturingLoggerProvider();
        await using (var host = await CollectorHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace", // off as shipped; its request lines carry the URL
            },
            services => services.AddSingleton<ILoggerProvider>(captured)))
        {
            using var pixel = new HttpRequestMessage(HttpMethod.Get, "/b.gif?e=pv&x=%0D%0Ainjected%07");
            pixel.Headers.Add("Cookie", $"bid={VisitorId}; session={Token}");
            pixel.Headers.Add("Authorization", "Bearer " + Token);
            using var answered = await host.Client.SendAsync(pixel);
            Assert.True(answered.IsSuccessStatusCode);

            using var garbage = new StringContent("e=pv&k\u0001=\u001b[31mred", Encoding.UTF8, "text/plain");
            using var beacon = await host.Client.PostAsync("/b", garbage);
            var (status, _) = await RawHttp.GetAsync(host.Address, "/b.gif?e=\u0001\u001b[31m bad", $"Cookie: bid={VisitorId}; session={Token}\r\n");
            Assert.Equal(400, status); // a malformed request line: Kestrel refuses it and logs why, request line included
            await host.StopAsync();
        }

        var text = string.Join('\n', captured.Messages);
        Assert.Contains(captured.Messages, static m => m.Contains("request line", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(VisitorId, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
        Assert.All(captured.Messages, static m => Assert.False(m.Any(static c => char.IsControl(c) && c != '\n'), $"control character in: {m}"));
    }

    /// <summary>Keeps every message, its structured values and exception text.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IEnumerable<string> Messages => _messages;

        public ILogger CreateLogger(string categoryName) => new Logger(_messages);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(static p => $"{p.Key}={p.Value}")) : "";
                messages.Enqueue($"{formatter(state, exception)} {values} {exception}");
            }
        }
    }
}
