using Beacon.Collector.Hosting;
using Beacon.Collector.Tools;

if (args is ["tail", .. var tailArgs])
{
    var configuration = new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine([.. tailArgs.Where(static a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('='))])
        .Build();
    return TailCommand.Run(tailArgs, configuration);
}

if (args is ["mock-kafka", .. var mockArgs])
{
    return MockKafkaCommand.Run(mockArgs);
}

InlineScheduling.DefaultOn(); // before any socket exists: the runtime reads it once
WebApplication app;
#pragma warning disable CA1031 // Whatever stops the start (a setting out of range, a data directory it cannot use, a port in use) is said once, with exit status 1.
try
{
    app = BeaconHost.Build(args);
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync($"Beacon cannot start: {e.Message}\n\n{e}");
    return 1;
}

try
{
    await app.StartAsync();
}
catch (Exception e)
{
    // The host has just logged it with its stack trace ("Hosting failed to start"): the reason alone here.
    await Console.Error.WriteLineAsync($"Beacon cannot start: {e.Message}");
    return 1;
}
#pragma warning restore CA1031

await using (app)
{
    await app.WaitForShutdownAsync();
}

return 0;
