using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Beacon.Collector.Buffering;
using Beacon.Parser;
using Beacon.Parser.Input;
using Beacon.Router.Routing;
using Beacon.Router.Rules;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Batch;

/// <summary>
/// <c>POST /v1/batch</c>: a mobile SDK's events, answered only once they are durable. The body is read
/// from the request's pipe, decompressed under limits, parsed with <see cref="BatchParser"/>, and its
/// accepted events enter the ring as one all-or-nothing run of slots that share a
/// <see cref="BatchCompletion"/>; the pipeline and sink count them down as Kafka acknowledges them or an
/// fsync covers them. 200 then; 503 with <c>Retry-After</c> if the ring can't take the batch, the sink
/// can't keep it, or it takes longer than <see cref="BatchOptions.AckTimeout"/>.
/// </summary>
public sealed partial class BatchEndpoint
{
    private const string NoCache = "no-cache, no-store";
    private const string BatchIdHeader = "X-Beacon-Batch-Id";
    private readonly BeaconRing _ring;
    private readonly BatchCounters _counters;
    private readonly BatchOptions _options;
    private readonly BatchParser _parser;
    private readonly BatchIdCache _batchIds;
    private readonly TimeProvider _time;
    private readonly RuleBook _rules;
    private readonly ILogger<BatchEndpoint> _logger;

    public BatchEndpoint(
        BeaconRing ring,
        RouteTable routes,
        BatchCounters counters,
        IOptions<BatchOptions> options,
        IOptions<ParserOptions> parserOptions,
        TimeProvider time,
        RuleBook rules,
        ILogger<BatchEndpoint> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parserOptions);
        _ring = ring;
        _counters = counters;
        _options = options.Value;
        _time = time;
        _rules = rules;
        _logger = logger;
        if (_options.MaxEvents > ring.Capacity)
        {
            throw new ArgumentException($"Beacon:Batch:MaxEvents ({_options.MaxEvents}) must not exceed the ring's capacity ({ring.Capacity}).", nameof(options));
        }

        _parser = new BatchParser(_options, parserOptions.Value, routes);
        _batchIds = new BatchIdCache(_options, time);
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        if (!IsJson(request.ContentType))
        {
            await WriteAsync(context, Refusal(BatchRefusal.UnsupportedMediaType, "A batch is application/json."));
            return;
        }

        if (!BatchBody.IsSupported(encoding))
        {
            await WriteAsync(context, Refusal(BatchRefusal.UnsupportedEncoding, "Content-Encoding must be identity, gzip, br or zstd."));
            return;
        }

        string? headerId = request.Headers[BatchIdHeader];
        if (headerId is not null && !BatchParser.IsValidBatchId(headerId, _options))
        {
            await WriteAsync(context, Refusal(BatchRefusal.InvalidBatchId, $"{BatchIdHeader} must be 1 to {_options.MaxBatchIdLength} characters."));
            return;
        }

        // A known id is answered before the body is even read.
        BatchIdCache.Entry? reserved = null;
        if (headerId is not null)
        {
            if (!_batchIds.TryReserve(headerId, out reserved, out var earlier))
            {
                await RepeatAsync(context, earlier);
                return;
            }
        }

        var id = headerId;
        BatchAnswer? answer = null;
        try
        {
            answer = await ReadAndEnqueueAsync(context, encoding, headerId, (bodyId, entry) =>
            {
                id = bodyId;
                reserved = entry;
            });
        }
        finally
        {
            // Whatever happened, waiters on the id get an answer (a 503 they may retry, if we failed).
            if (reserved is not null && id is not null)
            {
                _batchIds.Complete(id, reserved, answer ?? Refusal(BatchRefusal.AckTimeout, "The batch was not processed; retry it."));
            }
        }

        if (answer is not null)
        {
            await WriteAsync(context, answer);
        }
    }

    /// <summary>
    /// Reads, parses and enqueues the batch; null when the answer was already written (a duplicate that
    /// only the body named). <paramref name="reserve"/> hands back a reservation made for the body's id.
    /// </summary>
    private async Task<BatchAnswer?> ReadAndEnqueueAsync(HttpContext context, string encoding, string? headerId, Action<string, BatchIdCache.Entry> reserve)
    {
        var request = context.Request;
        if (request.ContentLength > _options.MaxBodyBytes)
        {
            return BodyTooLarge();
        }

        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            var body = read.Buffer;
            if (body.Length > _options.MaxBodyBytes)
            {
                reader.AdvanceTo(body.End);
                return BodyTooLarge();
            }

            if (!read.IsCompleted)
            {
                reader.AdvanceTo(body.Start, body.End);
                continue;
            }

            if (!Thread.CurrentThread.IsThreadPoolThread)
            {
                // Inline scheduling (InlineScheduling) ran us on a socket's event thread, which serves
                // every connection on it: decompress and parse on a thread-pool worker instead.
                await Task.Yield();
            }

            BatchRefusal? refusal;
            BatchBody? json;
            try
            {
                refusal = BatchBody.TryDecode(body, encoding, _options.MaxDecompressedBytes, out json);
            }
            finally
            {
                // The body is decoded into a buffer of our own: give the pipe's memory back before waiting.
                reader.AdvanceTo(body.End);
            }

            if (refusal is { } refused)
            {
                return refused == BatchRefusal.DecompressedTooLarge
                    ? Refusal(refused, $"The decompressed body is over the {_options.MaxDecompressedBytes}-byte limit.", _options.MaxDecompressedBytes)
                    : Refusal(refused, $"The body does not decode as {encoding}.");
            }

            using (json)
            {
                using var batch = new ParsedBatch(json!.Json.Length);
                var anonymous = request.Headers["X-Beacon-Anonymous"] == "1";
                _parser.Parse(json.Json, batch, headerId, anonymous);
                if (batch.BatchIdFromBody && batch.Refusal is null && batch.BatchId is { } bodyId)
                {
                    if (!_batchIds.TryReserve(bodyId, out var entry, out var earlier))
                    {
                        await RepeatAsync(context, earlier);
                        return null;
                    }

                    reserve(bodyId, entry);
                }

                return batch.Refusal is not null ? ParseRefusal(batch) : await EnqueueAsync(context, batch);
            }
        }
    }

    private async Task<BatchAnswer> EnqueueAsync(HttpContext context, ParsedBatch batch)
    {
        foreach (var (_, reason) in batch.Rejected)
        {
            _counters.CountRejected(reason);
        }

        var count = batch.Accepted.Count;
        if (count == 0)
        {
            _counters.CountAccepted(0);
            return Accepted(batch);
        }

        if (!_ring.TryClaimMany(batch.AdmissionPriority, count, out var first))
        {
            return Unavailable(BatchRefusal.RingFull, "The collector is too busy to take this batch now; retry it later.");
        }

        var completion = new BatchCompletion(count);
        Fill(context, batch, first, completion);
        bool durable;
        try
        {
            // Not RequestAborted: the answer is also the one a retry of this id gets.
            durable = await completion.Durable.WaitAsync(_options.AckTimeout, _time);
        }
        catch (TimeoutException)
        {
            LogAckTimeout(_logger, count, _options.AckTimeout);
            return Unavailable(BatchRefusal.AckTimeout, "The events were not confirmed durable in time; retry the batch (event ids make the copies recognisable).");
        }

        if (!durable)
        {
            return Unavailable(BatchRefusal.SinkFailed, "The events could not be stored (Kafka unavailable and the spool full); retry the batch later.");
        }

        _counters.CountAccepted(count);
        return Accepted(batch);
    }

    /// <summary>Copies every accepted event into its claimed slot and publishes it; a slot that fails is published incomplete (and fails the batch).</summary>
    private void Fill(HttpContext context, ParsedBatch batch, long first, BatchCompletion completion)
    {
        var headers = context.Request.Headers;
        var userAgent = headers.UserAgent.ToString();
        var forwardedFor = headers["X-Forwarded-For"].ToString();
        var forwarded = headers["Forwarded"].ToString();
        var address = context.Connection.RemoteIpAddress;
        var receivedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var common = batch.Common.Written;
        for (var i = 0; i < batch.Accepted.Count; i++)
        {
            var entry = batch.Accepted[i];
            var claim = _ring.ClaimAt(first + i, entry.Priority);
            try
            {
                var slot = claim.Slot;
                slot.Begin(BeaconTransport.Batch, receivedAtMs, entry.VisitorId, batch.Anonymous, completion);
                slot.WriteParameters(common, batch.Events.Slice(entry.Start, entry.Length));
                slot.WriteContext(userAgent, default, default, address, forwardedFor, forwarded);
            }
            finally
            {
                _ring.Publish(claim);
            }
        }
    }

    private async Task RepeatAsync(HttpContext context, Task<BatchAnswer> earlier)
    {
        _counters.CountRepeated();
        BatchAnswer answer;
        try
        {
            answer = await earlier.WaitAsync(_options.AckTimeout + TimeSpan.FromSeconds(5), _time, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            answer = Unavailable(BatchRefusal.AckTimeout, "The same batch is still being processed; retry it later.");
        }

        await WriteAsync(context, answer);
    }

    /// <summary>The answer SDKs read: counts, rejects by index, and the rules version (refresh <c>/v1/config</c> when it moved).</summary>
    private BatchAnswer Accepted(ParsedBatch batch) => Json(StatusCodes.Status200OK, json =>
    {
        json.WriteNumber("accepted", batch.Accepted.Count);
        json.WriteStartArray("rejected");
        foreach (var (index, reason) in batch.Rejected)
        {
            json.WriteStartObject();
            json.WriteNumber("index", index);
            json.WriteString("reason", reason.Name());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("batch_id", batch.BatchId);
        json.WriteNumber("config_version", _rules.Current.Version);
    });

    private BatchAnswer ParseRefusal(ParsedBatch batch) =>
        Refusal(batch.Refusal!.Value, batch.Message, batch.Limit, batch.Position);

    private BatchAnswer BodyTooLarge() =>
        Refusal(BatchRefusal.BodyTooLarge, $"The body is over the {_options.MaxBodyBytes}-byte limit; send fewer events per batch.", _options.MaxBodyBytes);

    private BatchAnswer Unavailable(BatchRefusal reason, string message) => Refusal(reason, message);

    private BatchAnswer Refusal(BatchRefusal reason, string message, long? limit = null, (long Offset, long Line, long Column)? position = null)
    {
        _counters.CountRefused(reason);
        var status = reason switch
        {
            BatchRefusal.UnsupportedEncoding or BatchRefusal.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
            BatchRefusal.BodyTooLarge or BatchRefusal.DecompressedTooLarge or BatchRefusal.TooManyEvents or BatchRefusal.JsonTooDeep => StatusCodes.Status413PayloadTooLarge,
            BatchRefusal.RingFull or BatchRefusal.SinkFailed or BatchRefusal.AckTimeout => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        };
        return Json(status, json =>
        {
            json.WriteString("error", reason.Name());
            json.WriteString("message", message);
            if (limit is { } l)
            {
                json.WriteNumber("limit", l);
            }

            if (position is { } p)
            {
                json.WriteNumber("position", p.Offset);
                json.WriteNumber("line", p.Line);
                json.WriteNumber("column", p.Column);
            }
        });
    }

    private static BatchAnswer Json(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        return new BatchAnswer(status, buffer.WrittenSpan.ToArray());
    }

    private Task WriteAsync(HttpContext context, BatchAnswer answer)
    {
        var response = context.Response;
        response.StatusCode = answer.Status;
        response.ContentType = "application/json";
        response.ContentLength = answer.Body.Length;
        response.Headers.CacheControl = NoCache;
        if (answer.Status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(_options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return response.Body.WriteAsync(answer.Body, context.RequestAborted).AsTask();
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true;
        }

        return MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            && parsed.MediaType is { } mediaType
            && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
                || mediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase));
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "A batch of {Events} events was not durable within {Timeout}; answered 503.")]
    private static partial void LogAckTimeout(ILogger logger, int events, TimeSpan timeout);
}
