using Microsoft.Extensions.Options;

namespace Beacon.Collector.Admin;

/// <summary>
/// On SIGTERM, before any hosted service stops: readiness turns false and the server keeps serving
/// for <see cref="DrainOptions.Delay"/>. Then Kestrel stops accepting and finishes in-flight requests,
/// and the pipeline drains the ring and flushes the sink.
/// </summary>
internal sealed partial class DrainCoordinator(CollectorHealth health, IOptions<DrainOptions> options, ILogger<DrainCoordinator> logger)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        health.MarkDraining();
        var delay = options.Value.Delay;
        LogDraining(logger, delay.TotalSeconds);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Stopping: not ready, still serving for {Seconds} s before draining.")]
    private static partial void LogDraining(ILogger logger, double seconds);
}
