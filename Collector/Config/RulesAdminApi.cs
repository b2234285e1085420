using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Beacon.Collector.Admin;
using Beacon.Router.Rules;

namespace Beacon.Collector.Config;

/// <summary>
/// The rules API on the admin listener (docs/protocol.md §8): read, replace with <c>If-Match</c>,
/// history, roll back, dry run. Every call is authenticated; every change is audited in the log.
/// </summary>
internal sealed class RulesAdminApi(RuleBook book, RuleAdministrator administrator, AdminAuthenticator authenticator)
{
    private const int MaxBodyBytes = 1 << 20;
    private const string Json = "application/json";

    public void Map(IEndpointRouteBuilder admin)
    {
        admin.MapGet("/admin/rules", context => Guard(context, write: false, _ => WriteVersion(context, book.Current)));
        admin.MapGet("/admin/rules/history", context => Guard(context, write: false, _ => WriteHistory(context)));
        admin.MapGet("/admin/rules/{version:long}", context => Guard(context, write: false, _ =>
            book.Find(Version(context)) is { } set ? WriteVersion(context, set) : Error(context, 404, $"There is no version {Version(context)}.")));
        admin.MapPut("/admin/rules", context => Guard(context, write: true, async caller =>
        {
            if (await ReadBodyAsync(context) is not { } body)
            {
                return;
            }

            if (IfMatch(context, out var ifVersion) is { } bad)
            {
                await Error(context, 400, bad);
                return;
            }

            await Answer(context, await administrator.ReplaceAsync(body, ifVersion, caller, context.RequestAborted));
        }));
        admin.MapPost("/admin/rules/rollback/{version:long}", context => Guard(context, write: true, async caller =>
        {
            if (IfMatch(context, out var ifVersion) is { } bad)
            {
                await Error(context, 400, bad);
                return;
            }

            await Answer(context, await administrator.RollBackAsync(Version(context), ifVersion, caller, context.RequestAborted));
        }));
        admin.MapPost("/admin/rules/dry-run", context => Guard(context, write: false, async _ =>
        {
            if (await ReadBodyAsync(context) is not { } body)
            {
                return;
            }

            RuleDryRun result;
            try
            {
                result = administrator.DryRun(body.Span);
            }
            catch (RuleValidationException ex)
            {
                await Error(context, 400, ex.Message);
                return;
            }

            await WriteJson(context, 200, json =>
            {
                json.WriteStartObject();
                json.WriteNumber("events", result.Events);
                json.WriteNumber("unmatched", result.Unmatched);
                json.WriteStartArray("rules");
                foreach (var (rule, matched, kept, sampledOut, held, dropped) in result.ByRule)
                {
                    json.WriteStartObject();
                    json.WriteString("id", rule.Id);
                    json.WriteNumber("matched", matched);
                    json.WriteNumber("kept", kept);
                    json.WriteNumber("sampled_out", sampledOut);
                    json.WriteNumber("held", held);
                    json.WriteNumber("dropped", dropped);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
        }));
    }

    private async Task Guard(HttpContext context, bool write, Func<string, Task> handle)
    {
        var access = authenticator.Check(context, write);
        if (!access.Allowed)
        {
            if (access.Status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"beacon-admin\"";
            }

            await Error(context, access.Status, access.Reason!);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        await handle(access.Caller);
    }

    private static Task Answer(HttpContext context, RuleChange change)
    {
        context.Response.Headers.ETag = change.Current.ETag;
        return change.Status switch
        {
            RuleChangeStatus.Applied => WriteVersion(context, change.Current),
            RuleChangeStatus.Invalid => Error(context, 400, change.Error!),
            RuleChangeStatus.Conflict => Error(context, 412, change.Error!),
            RuleChangeStatus.NotFound => Error(context, 404, change.Error!),
            _ => Error(context, 503, change.Error!),
        };
    }

    private static Task WriteVersion(HttpContext context, RuleSet set)
    {
        context.Response.Headers.ETag = set.ETag;
        context.Response.ContentType = Json;
        return context.Response.Body.WriteAsync(RuleSetJson.WriteVersion(set)).AsTask();
    }

    private Task WriteHistory(HttpContext context)
    {
        var history = book.History;
        return WriteJson(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("current", book.Current.Version);
            json.WriteStartArray("versions");
            for (var i = history.Count - 1; i >= 0; i--)
            {
                using var version = JsonDocument.Parse(RuleSetJson.WriteVersion(history[i]));
                version.RootElement.WriteTo(json);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await Error(context, 413, $"A rule set is at most {MaxBodyBytes} bytes.");
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            foreach (var segment in read.Buffer)
            {
                buffer.Write(segment.Span);
            }

            reader.AdvanceTo(read.Buffer.End);
            if (buffer.WrittenCount > MaxBodyBytes)
            {
                await Error(context, 413, $"A rule set is at most {MaxBodyBytes} bytes.");
                return null;
            }

            if (read.IsCompleted)
            {
                return buffer.WrittenMemory;
            }
        }
    }

    /// <summary>Reads <c>If-Match: "7"</c> (or <c>7</c>, or <c>*</c> for any version); returns a reason when malformed.</summary>
    private static string? IfMatch(HttpContext context, out long? version)
    {
        version = null;
        var header = context.Request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return null;
        }

        if (long.TryParse(header.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            version = parsed;
            return null;
        }

        return $"If-Match must be a rules version such as \"7\" (the ETag of GET /admin/rules); got {header}.";
    }

    private static long Version(HttpContext context) =>
        long.Parse((string)context.Request.RouteValues["version"]!, CultureInfo.InvariantCulture);

    private static Task Error(HttpContext context, int status, string message) => WriteJson(context, status, json =>
    {
        json.WriteStartObject();
        json.WriteString("error", message);
        json.WriteEndObject();
    });

    private static async Task WriteJson(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, RuleSetJson.WriterOptions))
        {
            write(json);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = Json;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory);
    }
}
