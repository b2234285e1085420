using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Beacon.Router.Rules;

/// <summary>
/// The JSON form of rules (docs/protocol.md §8): what SREs PUT, what the config log stores and what
/// clients read. Reading validates the whole set and names the first problem; nothing half-valid is built.
/// </summary>
public static partial class RuleSetJson
{
    public const int MaxRules = 256;

    /// <summary>Readable output (quotes and '+' as they are); still valid JSON, served as application/json only.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public const int MaxValuesPerDimension = 100;
    public const int MaxValueLength = 256;

    /// <summary>Reads <c>{"rules":[…]}</c> (what an admin PUTs) and validates every rule.</summary>
    /// <exception cref="RuleValidationException">The first problem found, naming the rule.</exception>
    public static IReadOnlyList<Rule> ReadRules(ReadOnlySpan<byte> json, IReadOnlySet<string>? knownRoutes)
    {
        using var document = Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("rules", out var rules))
        {
            throw new RuleValidationException("The body must be a JSON object with a \"rules\" array.");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (property.Name is not ("rules" or "version"))
            {
                throw new RuleValidationException($"Unknown field \"{property.Name}\" (expected \"rules\").");
            }
        }

        return ReadRules(rules, knownRoutes);
    }

    /// <summary>Reads a stored version (<see cref="WriteVersion"/>'s output).</summary>
    public static RuleSet ReadVersion(ReadOnlySpan<byte> json)
    {
        using var document = Parse(json);
        var root = document.RootElement;
        var version = root.GetProperty("version").GetInt64();
        var audit = root.GetProperty("change");
        var change = new RuleSetChange(
            audit.GetProperty("author").GetString() ?? "",
            audit.GetProperty("changed_at").GetInt64(),
            audit.TryGetProperty("rolled_back_to", out var from) && from.ValueKind == JsonValueKind.Number ? from.GetInt64() : null,
            Strings(audit.GetProperty("added")),
            Strings(audit.GetProperty("removed")),
            Strings(audit.GetProperty("changed")));
        // A stored version was valid when written; routes may have changed since, so they are not re-checked.
        return new RuleSet(version, ReadRules(root.GetProperty("rules"), knownRoutes: null), change);
    }

    /// <summary>A whole version with its audit entry: the config log's record.</summary>
    public static byte[] WriteVersion(RuleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("version", set.Version);
            json.WriteStartObject("change");
            json.WriteString("author", set.Change.Author);
            json.WriteNumber("changed_at", set.Change.ChangedAtMs);
            json.WriteString("changed_at_utc", DateTimeOffset.FromUnixTimeMilliseconds(set.Change.ChangedAtMs).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            if (set.Change.RolledBackTo is { } from)
            {
                json.WriteNumber("rolled_back_to", from);
            }

            WriteStrings(json, "added", set.Change.Added);
            WriteStrings(json, "removed", set.Change.Removed);
            WriteStrings(json, "changed", set.Change.Changed);
            json.WriteEndObject();
            WriteRules(json, set.Rules);
            json.WriteEndObject();
        });
    }

    /// <summary>
    /// What a client reads from <c>/v1/config</c>: the version, how long to cache it, the client's
    /// visitor id (it cannot read the collector's HttpOnly cookie) and the rules that can apply to it.
    /// </summary>
    public static byte[] WriteClientView(RuleSet set, string? app, string? platform, string? sdk, string? visitorId, int maxAgeSeconds)
    {
        ArgumentNullException.ThrowIfNull(set);
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("version", set.Version);
            json.WriteNumber("max_age", maxAgeSeconds);
            if (visitorId is null)
            {
                json.WriteNull("visitor_id");
            }
            else
            {
                json.WriteString("visitor_id", visitorId);
            }

            WriteRules(json, set.Rules.Where(r => r.Scope.CanApplyTo(app, platform, sdk)));
            json.WriteEndObject();
        });
    }

    public static void WriteRules(Utf8JsonWriter json, IEnumerable<Rule> rules)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(rules);
        json.WriteStartArray("rules");
        foreach (var rule in rules)
        {
            json.WriteStartObject();
            json.WriteString("id", rule.Id);
            json.WriteString("action", rule.Action switch { RuleAction.Sample => "sample", RuleAction.Hold => "hold", _ => "drop" });
            if (rule.Action == RuleAction.Sample)
            {
                json.WriteNumber("rate", rule.Rate);
            }

            json.WriteStartObject("scope");
            WriteDimension(json, "app", rule.Scope.Apps);
            WriteDimension(json, "platform", rule.Scope.Platforms);
            WriteDimension(json, "event", rule.Scope.Events);
            WriteDimension(json, "route", rule.Scope.Routes);
            if (rule.Scope.Sdk is { } sdk)
            {
                json.WriteStartObject("sdk");
                json.WriteString("name", sdk.Name);
                if (sdk.Min is not null)
                {
                    json.WriteString("min", sdk.Min);
                }

                if (sdk.Max is not null)
                {
                    json.WriteString("max", sdk.Max);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            if (rule.Start is { } start)
            {
                json.WriteString("start", start.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            }

            if (rule.End is { } end)
            {
                json.WriteString("end", end.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static List<Rule> ReadRules(JsonElement rules, IReadOnlySet<string>? knownRoutes)
    {
        if (rules.ValueKind != JsonValueKind.Array)
        {
            throw new RuleValidationException("\"rules\" must be an array.");
        }

        if (rules.GetArrayLength() > MaxRules)
        {
            throw new RuleValidationException($"At most {MaxRules} rules are allowed; got {rules.GetArrayLength()}.");
        }

        var result = new List<Rule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in rules.EnumerateArray())
        {
            var rule = ReadRule(element, index, knownRoutes);
            if (!ids.Add(rule.Id))
            {
                throw new RuleValidationException($"rules[{index}]: id \"{rule.Id}\" is used twice.");
            }

            result.Add(rule);
            index++;
        }

        return result;
    }

    private static Rule ReadRule(JsonElement element, int index, IReadOnlySet<string>? knownRoutes)
    {
        var where = $"rules[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new RuleValidationException($"{where}: a rule must be an object.");
        }

        string? id = null, action = null;
        double? rate = null;
        DateTimeOffset? start = null, end = null;
        var scope = RuleScope.Everything;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id": id = String(property.Value, $"{where}.id"); break;
                case "action": action = String(property.Value, $"{where}.action"); break;
                case "rate":
                    rate = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetDouble()
                        : throw new RuleValidationException($"{where}.rate must be a number.");
                    break;
                case "scope": scope = ReadScope(property.Value, $"{where}.scope", knownRoutes); break;
                case "start": start = Time(property.Value, $"{where}.start"); break;
                case "end": end = Time(property.Value, $"{where}.end"); break;
                default: throw new RuleValidationException($"{where}: unknown field \"{property.Name}\".");
            }
        }

        if (id is null || !RuleId().IsMatch(id))
        {
            throw new RuleValidationException($"{where}.id is required: 1-64 characters of [a-z0-9._-], starting with a letter or digit.");
        }

        where = $"{where} (\"{id}\")";
        var kind = action switch
        {
            "sample" => RuleAction.Sample,
            "hold" => RuleAction.Hold,
            "drop" => RuleAction.Drop,
            _ => throw new RuleValidationException($"{where}.action must be \"sample\", \"hold\" or \"drop\"."),
        };
        if (kind == RuleAction.Sample && (rate is not { } r || double.IsNaN(r) || r < 0 || r > 1))
        {
            throw new RuleValidationException($"{where}.rate is required for sample: the fraction kept, from 0 to 1.");
        }

        if (kind != RuleAction.Sample && rate is not null)
        {
            throw new RuleValidationException($"{where}.rate only applies to sample rules.");
        }

        if (start is { } s && end is { } e && e <= s)
        {
            throw new RuleValidationException($"{where}.end must be after start.");
        }

        return new Rule(id, kind, scope, rate ?? 1.0, start, end);
    }

    private static RuleScope ReadScope(JsonElement element, string where, IReadOnlySet<string>? knownRoutes)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new RuleValidationException($"{where} must be an object.");
        }

        IReadOnlyList<string>? apps = null, platforms = null, events = null, routes = null;
        SdkRange? sdk = null;
        foreach (var property in element.EnumerateObject())
        {
            var at = $"{where}.{property.Name}";
            switch (property.Name)
            {
                case "app": apps = Dimension(property.Value, at); break;
                case "platform": platforms = Dimension(property.Value, at); break;
                case "event": events = Dimension(property.Value, at); break;
                case "route":
                    routes = Dimension(property.Value, at);
                    if (knownRoutes is not null && routes.FirstOrDefault(r => !knownRoutes.Contains(r)) is { } unknown)
                    {
                        throw new RuleValidationException($"{at}: \"{unknown}\" is not a route of the route table ({string.Join(", ", knownRoutes.Order(StringComparer.Ordinal))}).");
                    }

                    break;
                case "sdk": sdk = ReadSdk(property.Value, at); break;
                default: throw new RuleValidationException($"{where}: unknown dimension \"{property.Name}\" (app, platform, event, route, sdk).");
            }
        }

        return new RuleScope(apps, platforms, events, routes, sdk);
    }

    private static SdkRange ReadSdk(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new RuleValidationException($"{where} must be an object: {{\"name\":\"js\",\"min\":\"1.0\",\"max\":\"2.0\"}}.");
        }

        string? name = null, min = null, max = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "name": name = String(property.Value, $"{where}.name"); break;
                case "min": min = String(property.Value, $"{where}.min"); break;
                case "max": max = String(property.Value, $"{where}.max"); break;
                default: throw new RuleValidationException($"{where}: unknown field \"{property.Name}\" (name, min, max).");
            }
        }

        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name.Length > MaxValueLength)
        {
            throw new RuleValidationException($"{where}.name is required (an SDK name without '/').");
        }

        var lo = Version(min, $"{where}.min");
        var hi = Version(max, $"{where}.max");
        if (lo is { } l && hi is { } h && h <= l)
        {
            throw new RuleValidationException($"{where}: max must be above min (the range is [min, max)).");
        }

        return new SdkRange(name, lo, hi, min, max);
    }

    private static SdkVersion? Version(string? text, string where) =>
        text is null ? null
        : SdkVersion.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out var version) ? version
        : throw new RuleValidationException($"{where}: \"{text}\" is not a version like 1.2.3.");

    private static List<string> Dimension(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() is 0 or > MaxValuesPerDimension)
        {
            throw new RuleValidationException($"{where} must be an array of 1 to {MaxValuesPerDimension} strings (leave it out to match everything).");
        }

        var values = new List<string>();
        foreach (var value in element.EnumerateArray())
        {
            var text = String(value, where);
            if (text.Length is 0 or > MaxValueLength)
            {
                throw new RuleValidationException($"{where}: values must be 1 to {MaxValueLength} characters.");
            }

            values.Add(text);
        }

        return values;
    }

    private static string String(JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new RuleValidationException($"{where} must be a string.");

    private static DateTimeOffset? Time(JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.Null ? null
        : element.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new RuleValidationException($"{where} must be an ISO 8601 time such as 2026-11-21T10:00:00Z, or null.");

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(static e => e.GetString() ?? "")];

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteDimension(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        if (values.Count > 0)
        {
            WriteStrings(json, name, values);
        }
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new RuleValidationException($"Not valid JSON: {ex.Message}", ex);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(json);
        }

        return buffer.WrittenSpan.ToArray();
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex RuleId();
}
