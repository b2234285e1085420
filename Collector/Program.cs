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

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (builder.Configuration["Logging:Console:FormatterName"] == "json")
{
    builder.Logging.AddJsonConsole(); // structured logs; the slim builder's console ignores the setting
}

builder.Services.AddBeaconCollector(builder.Configuration);
var app = builder.Build();
app.MapBeacon();
app.Run();
return 0;
