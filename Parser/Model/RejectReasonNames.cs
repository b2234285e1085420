namespace Beacon.Parser.Model;

/// <summary>The snake_case names reject reasons travel under, in DLQ records and metric labels.</summary>
public static class RejectReasonNames
{
    private static readonly string[] Names = Enum.GetValues<RejectReason>()
        .Select(static r => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()))
        .ToArray();

    public static string Name(this RejectReason reason) => Names[(int)reason];
}
