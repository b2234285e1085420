using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using Beacon.Collector.Admin;
using Beacon.Collector.Buffering;
using Beacon.Collector.Edge;
using Beacon.Collector.Hosting;
using Beacon.Collector.Tests.Hosting;
using Beacon.Parser;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Tests.Deployment;

/// <summary>The manifests under k8s/ against the code they deploy: ports, probes, settings, topics, policies.</summary>
public sealed class ManifestTests
{
    /// <summary>Each options section AddBeaconCollector binds, below "Beacon" ("" is the root).</summary>
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        [""] = typeof(BeaconOptions),
        ["Ring"] = typeof(RingOptions),
        ["Edge"] = typeof(EdgeOptions),
        ["Cookie"] = typeof(VisitorCookieOptions),
        ["Parser"] = typeof(ParserOptions),
        ["Routing"] = typeof(RouteTableOptions),
        ["Segments"] = typeof(SegmentLogOptions),
        ["Kafka"] = typeof(KafkaSinkOptions),
        ["Spool"] = typeof(SpoolOptions),
        ["Admin"] = typeof(AdminOptions),
        ["Drain"] = typeof(DrainOptions),
        ["Rules"] = typeof(Beacon.Collector.Config.RulesOptions),
    };

    private static Manifest Deployment => Manifests.Single("Deployment", "beacon-collector");

    private static JsonNode Container => Assert.Single(Deployment.Spec!["template"]!["spec"].Items("containers"));

    private static Manifest ConfigMap => Manifests.Single("ConfigMap", "beacon-collector-config");

    private static IReadOnlyDictionary<string, string> Settings => ConfigMap.Node.Map("data");

    /// <summary>Container port names and numbers.</summary>
    private static Dictionary<string, int> ContainerPorts => Container.Items("ports").ToDictionary(
        static p => p.Text("name")!, static p => int.Parse(p.Text("containerPort")!, CultureInfo.InvariantCulture), StringComparer.Ordinal);

    public static TheoryData<string, string> BeaconSettings
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (key, value) in Settings.Where(static s => s.Key.StartsWith("Beacon__", StringComparison.Ordinal)))
            {
                data.Add(key, value);
            }

            return data;
        }
    }

    [Fact]
    public async Task Probes_ask_the_admin_port_for_paths_the_collector_answers()
    {
        var admin = ContainerPorts["admin"];
        var probes = new[] { "startupProbe", "livenessProbe", "readinessProbe" }.Where(p => Container[p] is not null).ToDictionary(p => p, p => Container[p]!["httpGet"]!);
        await using var host = await CollectorHost.StartAsync();

        Assert.Equal("/healthz", probes["livenessProbe"].Text("path"));
        Assert.Equal("/readyz", probes["readinessProbe"].Text("path"));
        Assert.Equal(admin, PortOf(Bound<AdminOptions>().Urls));
        foreach (var (name, probe) in probes)
        {
            Assert.True(admin == ResolvePort(probe.Text("port")!), $"{name} does not ask the admin port");
            using var answer = await host.Admin.GetAsync(probe.Text("path"));
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{name}: {probe.Text("path")} answered {answer.StatusCode}");
        }
    }

    [Fact]
    public void The_http_container_port_is_the_port_the_collector_listens_on_publicly()
    {
        var appSettings = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryFiles.Root, "Collector", "appsettings.json")))!;
        var urls = Settings.GetValueOrDefault("ASPNETCORE_URLS") ?? Settings.GetValueOrDefault("Urls") ?? appSettings.Text("Urls")!;

        Assert.Equal(ContainerPorts["http"], PortOf(urls));
        Assert.Equal(2, ContainerPorts.Count);
    }

    [Fact]
    public void The_grace_period_outlasts_the_drain_delay_and_the_shutdown_budget()
    {
        var grace = TimeSpan.FromSeconds(int.Parse(Deployment.Spec!["template"]!["spec"].Text("terminationGracePeriodSeconds")!, CultureInfo.InvariantCulture));
        var drain = Bound<DrainOptions>().Delay;

        Assert.True(drain > TimeSpan.Zero, "without a drain delay the endpoint may still get traffic after the listener closes");
        Assert.Null(Container["lifecycle"]); // the collector drains itself; a preStop sleep would add to it
        Assert.True(grace > drain + TimeSpan.FromSeconds(45), $"{grace} <= drain {drain} + 45 s");
        Assert.True(grace > Bound<HostOptions>().ShutdownTimeout, $"{grace} <= the host's shutdown timeout {Bound<HostOptions>().ShutdownTimeout}");
    }

    [Theory]
    [MemberData(nameof(BeaconSettings))]
    public void A_Beacon_setting_in_the_ConfigMap_binds_to_a_real_option(string key, string value)
    {
        var path = key.Split("__");
        var (section, property) = path.Length == 2 ? ("", path[1]) : (path[1], path[2]);
        Assert.True(Sections.TryGetValue(section, out var type), $"{key}: no options section Beacon:{section}");
        var target = type.GetProperty(property, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        Assert.True(target is not null, $"{key}: {type.Name} has no property {property}");

        if (path.Length == 4 && target.PropertyType.IsAssignableTo(typeof(IDictionary<string, string>)))
        {
            // Beacon__Kafka__Properties__linger.ms: an entry of a dictionary option.
            var entries = (IDictionary<string, string>)target.GetValue(BindOne(type, key, value))!;
            Assert.Equal(value, entries[path[3]]);
            return;
        }

        Assert.True(path.Length is 2 or 3, $"{key}: deeper than Beacon__Section__Property");
        Assert.True(target.SetMethod is { IsPublic: true }, $"{key}: {type.Name}.{target.Name} is not settable");
        if (Parse(target.PropertyType, value) is { } expected)
        {
            // The ConfigMap's value, and one that differs from the default, both arrive: the key is real.
            Assert.Equal(expected, target.GetValue(BindOne(type, key, value)));
            var probe = DifferentFrom(target.GetValue(Activator.CreateInstance(type)), target.PropertyType);
            Assert.Equal(probe, target.GetValue(BindOne(type, key, Convert.ToString(probe, CultureInfo.InvariantCulture)!)));
        }
    }

    [Fact]
    public void Every_other_ConfigMap_key_is_a_logging_or_host_setting()
    {
        Assert.NotEmpty(BeaconSettings);
        Assert.All(Settings.Keys.Where(static k => !k.StartsWith("Beacon__", StringComparison.Ordinal)), static k =>
            Assert.True(k.StartsWith("Logging__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal), k));
        Assert.Equal("json", Settings.GetValueOrDefault("Logging__Console__FormatterName")); // what Program.cs switches on
    }

    [Fact]
    public void The_Deployment_takes_its_environment_from_the_ConfigMap()
    {
        Assert.Contains(ConfigMap.Name, Container.Items("envFrom").Select(static e => e["configMapRef"].Text("name")));
    }

    [Fact]
    public void The_admin_token_Secret_holds_rules_api_tokens_the_collector_reads_and_the_Deployment_mounts_it()
    {
        var secret = Manifests.Single("Secret", "beacon-admin-tokens");
        var tokens = secret.Node.Map("stringData");

        Assert.Contains(secret.Name, Container.Items("envFrom").Select(static e => e["secretRef"].Text("name")));
        Assert.NotEmpty(tokens);
        foreach (var key in tokens.Keys)
        {
            var path = key.Split("__");
            Assert.True(path is ["Beacon", "Admin", "Tokens" or "ReadOnlyTokens", _], $"{key} is not Beacon__Admin__(ReadOnly)Tokens__<name>");
            var admin = (AdminOptions)BindOne(typeof(AdminOptions), key, "probe-token");
            var bound = path[2] == "Tokens" ? admin.Tokens : admin.ReadOnlyTokens;
            Assert.Equal("probe-token", bound[path[3]]);
        }

        // As committed the values are empty: nobody gets in until a real token is set.
        Assert.All(tokens.Values, static v => Assert.Equal("", v));
        var committed = new AdminOptions();
        foreach (var (key, value) in tokens)
        {
            var path = key.Split("__");
            (path[2] == "Tokens" ? committed.Tokens : committed.ReadOnlyTokens)[path[3]] = value;
        }

        Assert.False(new AdminAuthenticator(Microsoft.Extensions.Options.Options.Create(committed)).HasTokens);
    }

    [Fact]
    public void The_Kafka_topics_are_the_route_tables_topics_and_the_config_topic()
    {
        var topics = Manifests.OfKind("KafkaTopic").ToDictionary(static t => t.Spec.Text("topicName") ?? t.Name!, StringComparer.Ordinal);
        var routed = BoundServices().GetRequiredService<RouteTable>().Topics.ToList();

        var cluster = Assert.Single(topics.Values.Select(static t => t.Labels.GetValueOrDefault("strimzi.io/cluster")).Distinct());

        Assert.Equal(routed.Append("beacon.config").Order(StringComparer.Ordinal), topics.Keys.Order(StringComparer.Ordinal));
        Assert.StartsWith(cluster + "-kafka-bootstrap:", Bound<KafkaSinkOptions>().BootstrapServers, StringComparison.Ordinal); // Strimzi's bootstrap Service
        Assert.All(topics.Values, static t =>
        {
            var config = t.Spec.Map("config");
            Assert.Equal("kafka.strimzi.io/v1beta2", t.Node.Text("apiVersion"));
            Assert.True(int.Parse(config["min.insync.replicas"], CultureInfo.InvariantCulture) < int.Parse(t.Spec.Text("replicas")!, CultureInfo.InvariantCulture), t.ToString());
        });
        Assert.Equal("compact", topics["beacon.config"].Spec.Map("config")["cleanup.policy"]);
        Assert.Equal("1", topics["beacon.config"].Spec.Text("partitions"));
    }

    [Fact]
    public void The_admin_port_is_reachable_only_from_the_monitoring_namespace()
    {
        var policy = Manifests.Single("NetworkPolicy");
        var podLabels = Deployment.Spec!["template"]!["metadata"].Map("labels");
        var rules = policy.Spec.Items("ingress").ToList();
        bool Opens(JsonNode rule, string port) =>
            rule["ports"] is not JsonArray ports || ports.Any(p => ResolvePort(p.Text("port")!) == ContainerPorts[port]);

        Assert.Contains("Ingress", policy.Spec.Items("policyTypes").Select(static t => t.GetValue<string>()));
        Assert.All(policy.Spec!["podSelector"].Map("matchLabels"), l => Assert.Equal(l.Value, podLabels.GetValueOrDefault(l.Key)));
        Assert.Contains(rules, r => Opens(r, "http") && r["from"] is null);
        Assert.All(rules.Where(r => Opens(r, "admin")), static r =>
        {
            var peers = r.Items("from").ToList();
            Assert.NotEmpty(peers);
            Assert.All(peers, static p => Assert.Equal(
                new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "monitoring" },
                p["namespaceSelector"].Map("matchLabels")));
        });
        Assert.Contains(rules, r => Opens(r, "admin"));
    }

    [Fact]
    public void Every_Service_selects_the_collector_pods_and_targets_one_of_their_ports()
    {
        var podLabels = Deployment.Spec!["template"]!["metadata"].Map("labels");
        var services = Manifests.OfKind("Service").ToList();
        var publicPorts = Manifests.Single("Service", "beacon-collector").Spec.Items("ports").Select(p => ResolvePort(p.Text("targetPort")!)).ToList();
        var adminPorts = Manifests.Single("Service", "beacon-collector-admin").Spec.Items("ports").ToList();

        Assert.Equal(2, services.Count);
        Assert.All(services, s => Assert.All(s.Spec.Map("selector"), l => Assert.Equal(l.Value, podLabels.GetValueOrDefault(l.Key))));
        Assert.All(services.SelectMany(static s => s.Spec.Items("ports")), p => Assert.Contains(ResolvePort(p.Text("targetPort")!), ContainerPorts.Values));
        Assert.Equal([ContainerPorts["http"]], publicPorts);
        Assert.Equal("admin", Assert.Single(adminPorts).Text("name"));
        Assert.Equal(ContainerPorts["admin"], ResolvePort(adminPorts[0].Text("targetPort")!));
    }

    [Fact]
    public async Task The_ServiceMonitor_scrapes_the_admin_Service_for_metrics()
    {
        var monitor = Manifests.Single("ServiceMonitor");
        var selector = monitor.Spec!["selector"].Map("matchLabels");
        var selected = Manifests.OfKind("Service").Where(s => selector.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).ToList();
        var endpoint = Assert.Single(monitor.Spec.Items("endpoints"));
        await using var host = await CollectorHost.StartAsync();
        using var scrape = await host.Admin.GetAsync(endpoint.Text("path"));

        Assert.Equal("monitoring.coreos.com/v1", monitor.Node.Text("apiVersion"));
        Assert.Equal("beacon-collector-admin", Assert.Single(selected).Name);
        Assert.Contains(endpoint.Text("port"), selected[0].Spec.Items("ports").Select(static p => p.Text("name")));
        Assert.Equal("15s", endpoint.Text("interval"));
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("# TYPE beacon_ready gauge", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_kustomization_lists_every_manifest()
    {
        var kustomization = Assert.Single(Manifests.Read(Path.Combine(RepositoryFiles.K8s, "kustomization.yaml")));
        var files = Directory.GetFiles(RepositoryFiles.K8s, "*.yaml").Select(Path.GetFileName).Where(static f => f != "kustomization.yaml");

        Assert.Equal(files.Order(StringComparer.Ordinal), kustomization.Node.Items("resources").Select(static r => r.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    /// <summary>A port given by number or by the name of a container port.</summary>
    private static int ResolvePort(string port) =>
        int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number
        : ContainerPorts.TryGetValue(port, out number) ? number
        : throw new Xunit.Sdk.XunitException($"port {port} is not a container port of the Deployment");

    /// <summary>The port of a Kestrel URL such as <c>http://*:9090</c>, as Kestrel reads it.</summary>
    private static int PortOf(string urls) =>
        Microsoft.AspNetCore.Http.BindingAddress.Parse(Assert.Single(urls.Split(';', StringSplitOptions.RemoveEmptyEntries))).Port;

    /// <summary>The collector's services with the whole ConfigMap as configuration, as the pod gets it.</summary>
    private static ServiceProvider BoundServices() => Services(Settings.ToDictionary(static s => s.Key.Replace("__", ":", StringComparison.Ordinal), static s => (string?)s.Value));

    private static T Bound<T>() where T : class => BoundServices().GetRequiredService<IOptions<T>>().Value;

    /// <summary>The options of <paramref name="type"/> with only one setting configured.</summary>
    private static object BindOne(Type type, string key, string value)
    {
        using var services = Services(new Dictionary<string, string?> { [key.Replace("__", ":", StringComparison.Ordinal)] = value });
        var options = services.GetRequiredService(typeof(IOptions<>).MakeGenericType(type));
        return options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options)!;
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddBeaconCollector(configuration).BuildServiceProvider();
    }

    /// <summary>A setting's value as the binder would convert it, for the types that are simple to compare.</summary>
    private static object? Parse(Type type, string value) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => value,
        var t when t == typeof(int) => int.Parse(value, CultureInfo.InvariantCulture),
        var t when t == typeof(long) => long.Parse(value, CultureInfo.InvariantCulture),
        var t when t == typeof(double) => double.Parse(value, CultureInfo.InvariantCulture),
        var t when t == typeof(bool) => bool.Parse(value),
        var t when t == typeof(TimeSpan) => TimeSpan.Parse(value, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static object DifferentFrom(object? current, Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => "probe-" + current,
        var t when t == typeof(int) => (int)(current ?? 0) + 1,
        var t when t == typeof(long) => (long)(current ?? 0L) + 1,
        var t when t == typeof(double) => (double)(current ?? 0.0) + 0.125,
        var t when t == typeof(bool) => !(bool)(current ?? false),
        _ => (TimeSpan)(current ?? TimeSpan.Zero) + TimeSpan.FromSeconds(1),
    };
}
