using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Beacon.Collector.Tests.Deployment;

/// <summary>
/// Every document of every <c>k8s/*.yaml</c>, read with YamlDotNet and turned into JSON nodes for easy
/// navigation. Scalars stay strings, as YAML wrote them (<c>"8080"</c>, not 8080).
/// </summary>
internal static class Manifests
{
    private static readonly Lazy<IReadOnlyList<Manifest>> All = new(static () =>
        [.. Directory.GetFiles(RepositoryFiles.K8s, "*.yaml").Order(StringComparer.Ordinal).SelectMany(Read)]);

    public static IReadOnlyList<Manifest> Documents => All.Value;

    public static IEnumerable<Manifest> OfKind(string kind) => Documents.Where(m => m.Kind == kind);

    public static Manifest Single(string kind, string? name = null) =>
        Assert.Single(OfKind(kind), m => name is null || m.Name == name);

    public static IEnumerable<Manifest> Read(string file)
    {
        var deserializer = new DeserializerBuilder().Build();
        using var reader = new StringReader(File.ReadAllText(file));
        var parser = new YamlDotNet.Core.Parser(reader);
        parser.Consume<StreamStart>();
        var documents = new List<Manifest>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (ToJson(deserializer.Deserialize<object?>(parser)) is JsonObject document)
            {
                documents.Add(new Manifest(Path.GetFileName(file), document));
            }
        }

        return documents;
    }

    /// <summary>The value of a key, as a string, or null.</summary>
    public static string? Text(this JsonNode? node, string key) => node?[key]?.GetValue<string>();

    public static IEnumerable<JsonNode> Items(this JsonNode? node, string key) =>
        node?[key] is JsonArray array ? array.OfType<JsonNode>() : [];

    /// <summary>A map of strings (labels, matchLabels, ConfigMap data).</summary>
    public static IReadOnlyDictionary<string, string> Map(this JsonNode? node, string key) =>
        node?[key] is JsonObject map
            ? map.ToDictionary(static p => p.Key, static p => p.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static JsonNode? ToJson(object? yaml) => yaml switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(static p =>
            KeyValuePair.Create(Convert.ToString(p.Key, System.Globalization.CultureInfo.InvariantCulture)!, ToJson(p.Value)))),
        IList<object?> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(Convert.ToString(yaml, System.Globalization.CultureInfo.InvariantCulture)),
    };
}
