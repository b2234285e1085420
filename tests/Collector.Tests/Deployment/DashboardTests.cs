using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Beacon.Collector.Tests.Deployment;

/// <summary>k8s/grafana-dashboard.json against what a running collector really exports.</summary>
public sealed partial class DashboardTests(CollectorScrapes scrapes) : IClassFixture<CollectorScrapes>
{
    private static readonly string DashboardFile = Path.Combine(RepositoryFiles.K8s, "grafana-dashboard.json");
    private static readonly JsonObject Dashboard = JsonNode.Parse(File.ReadAllText(DashboardFile))!.AsObject();

    [Fact]
    public void Every_metric_on_the_dashboard_is_in_a_real_scrape()
    {
        var used = MetricsUsed();

        Assert.NotEmpty(used);
        Assert.Empty(used.Where(m => !scrapes.Covers(m)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_Beacon_metric_in_a_scrape_has_a_panel()
    {
        var used = MetricsUsed();
        bool Shown(string family) => used.Contains(family) || used.Any(m => m.StartsWith(family + "_", StringComparison.Ordinal) && scrapes.Covers(m) && scrapes.Families[family] == "histogram");

        Assert.Empty(scrapes.Families.Keys.Where(f => f.StartsWith("beacon_", StringComparison.Ordinal) && !Shown(f)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_panel_queries_the_data_source_chosen_in_the_datasource_variable()
    {
        var variable = Assert.Single(Dashboard["templating"].Items("list"), v => v.Text("name") == "datasource");
        var queries = Panels().Where(static p => p.Text("type") != "row").ToList();

        Assert.Equal("datasource", variable.Text("type"));
        Assert.Equal("prometheus", variable.Text("query"));
        Assert.NotEmpty(queries);
        Assert.All(queries, p => Assert.Equal("${datasource}", p["datasource"].Text("uid")));
        Assert.All(queries.SelectMany(static p => p.Items("targets")), t => Assert.Equal("${datasource}", t["datasource"].Text("uid")));
    }

    [Fact]
    public void The_dashboard_ConfigMap_embeds_the_dashboard_unchanged()
    {
        var configMap = Assert.Single(Manifests.Read(Path.Combine(RepositoryFiles.K8s, "grafana-dashboard-configmap.yaml")));
        var embedded = Assert.Single(configMap.Node.Map("data")).Value;

        Assert.Equal("ConfigMap", configMap.Kind);
        Assert.Equal("1", configMap.Labels.GetValueOrDefault("grafana_dashboard"));
        Assert.True(JsonNode.DeepEquals(Dashboard, JsonNode.Parse(embedded)), "grafana-dashboard-configmap.yaml is stale: run k8s/make-dashboard-configmap.sh");
        Assert.Equal(File.ReadAllText(DashboardFile).TrimEnd('\n'), embedded.TrimEnd('\n'));
    }

    private static IEnumerable<JsonNode> Panels() =>
        Dashboard.Items("panels").SelectMany(static p => p.Items("panels").Prepend(p)); // rows may hold collapsed panels

    /// <summary>Metric names in every panel query and in the variables' label_values(...) queries.</summary>
    private static HashSet<string> MetricsUsed()
    {
        var expressions = Panels().SelectMany(static p => p.Items("targets")).Select(static t => t.Text("expr")).OfType<string>()
            .Concat(Dashboard["templating"].Items("list").Select(static v => v["query"] is JsonValue q ? q.GetValue<string>() : v["query"].Text("query"))
                .OfType<string>().Select(static q => LabelValues().Match(q)).Where(static m => m.Success).Select(static m => m.Groups["selector"].Value));
        return [.. expressions.SelectMany(PromQl.MetricNames)];
    }

    [GeneratedRegex(@"^label_values\((?<selector>.*),\s*\w+\)$")]
    private static partial Regex LabelValues();
}
