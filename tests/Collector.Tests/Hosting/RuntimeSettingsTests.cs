using System.Text.Json.Nodes;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>
/// Runtime settings the collector ships with, read from the built <c>Beacon.Collector.runtimeconfig.json</c>
/// that <see cref="CollectorProcess"/> (and a deployment) runs with.
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void Idle_thread_pool_workers_sleep_instead_of_spinning_for_work()
    {
        // Below saturation the spinning was ~8-10 % of the collector's CPU (docs/performance.md, "Thread-pool spinning").
        Assert.Equal(0, ConfigProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetValue<int>());
    }

    [Fact]
    public void The_collector_runs_with_server_garbage_collection()
    {
        Assert.True(ConfigProperty("System.GC.Server").GetValue<bool>());
    }

    private static JsonNode ConfigProperty(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Beacon.Collector.runtimeconfig.json");
        var properties = JsonNode.Parse(File.ReadAllText(path))?["runtimeOptions"]?["configProperties"];
        return properties?[name] ?? throw new InvalidOperationException($"{name} is not set in {path}");
    }
}
