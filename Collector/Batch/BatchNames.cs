using System.Collections.Frozen;
using System.Text.Json;

namespace Beacon.Collector.Batch;

/// <summary>The stable snake_case names of refusals and rejections, as clients and dashboards see them.</summary>
public static class BatchNames
{
    private static readonly FrozenDictionary<BatchRefusal, string> Refusals =
        Enum.GetValues<BatchRefusal>().ToFrozenDictionary(static r => r, static r => JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()));

    private static readonly FrozenDictionary<BatchEventRejection, string> Rejections =
        Enum.GetValues<BatchEventRejection>().ToFrozenDictionary(static r => r, static r => JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()));

    public static string Name(this BatchRefusal refusal) => Refusals[refusal];

    public static string Name(this BatchEventRejection rejection) => Rejections[rejection];
}
