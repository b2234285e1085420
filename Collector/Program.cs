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
try
{
    app = BeaconHost.Build(args);
    await app.StartAsync();
}
#pragma warning disable CA1031 // Whatever stops the start (a setting out of range, a data directory it cannot use) is said once, with exit status 1.
catch (Exception e)
#pragma warning restore CA1031
{
    await Console.Error.WriteLineAsync($"Beacon cannot start: {e.Message}\n\n{e}");
    return 1;
}

await using (app)
{
    await app.WaitForShutdownAsync();
}

return 0;
