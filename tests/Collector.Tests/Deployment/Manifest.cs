using System.Text.Json.Nodes;

namespace Beacon.Collector.Tests.Deployment;

/// <summary>One Kubernetes object from a file under k8s/.</summary>
internal sealed record Manifest(string File, JsonObject Node)
{
    public string? Kind => Node.Text("kind");

    public string? Name => Node["metadata"].Text("name");

    public IReadOnlyDictionary<string, string> Labels => Node["metadata"].Map("labels");

    public JsonNode? Spec => Node["spec"];

    public override string ToString() => $"{Kind}/{Name} ({File})";
}
