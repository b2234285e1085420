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
BeaconHost.Build(args).Run();
return 0;
