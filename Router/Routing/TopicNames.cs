using System.Buffers;

namespace Beacon.Router.Routing;

/// <summary>Names that are safe as Kafka topics and as directory names alike.</summary>
public static class TopicNames
{
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

    public static bool IsValid(string name) =>
        name is { Length: > 0 and <= 64 } && !name.AsSpan().ContainsAnyExcept(Allowed) && name is not ("." or "..");
}
