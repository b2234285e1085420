// KestrelFloor --urls http://127.0.0.1:PORT [--kafka BOOTSTRAP]
// What Kestrel alone costs per pixel on this machine: the slim host, no routing, no middleware, no
// logging, no metrics listener, no ring and no sink; every request gets Beacon's 43-byte GIF with the
// same Cache-Control as nginx's empty_gif. loadtest/pixel.sh drives it with the same wrk settings as
// nginx and Beacon, so a run shows how much of Beacon's gap to nginx is Kestrel's and how much is Beacon's.
// With --kafka, every request also produces one ready-made record to Kafka as Beacon's sink would
// (KafkaPixels): the floor under Beacon's Kafka path. On SIGTERM it waits for every delivery report
// and prints "kafka-pixels: produced=… delivered=… failed=…".
using Beacon.Collector.Hosting;
using Beacon.LoadTest;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Net.Http.Headers;

// The collector's transport settings: sockets complete inline (unless the environment says otherwise),
// set before the first socket exists, and Kestrel runs requests where they complete.
InlineScheduling.DefaultOn();

var gif = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.Configure<SocketTransportOptions>(static transport =>
    transport.UnsafePreferInlineScheduling = InlineScheduling.SocketsCompleteInline);
using var kafka = builder.Configuration["kafka"] is { Length: > 0 } bootstrap ? new KafkaPixels(bootstrap) : null;
var app = builder.Build();
app.Run(context =>
{
    kafka?.Produce();
    var response = context.Response;
    response.ContentType = "image/gif";
    response.ContentLength = gif.Length;
    response.Headers[HeaderNames.CacheControl] = "no-cache, no-store, must-revalidate";
    return response.Body.WriteAsync(gif, context.RequestAborted).AsTask();
});
app.Run();
if (kafka is not null)
{
    Console.WriteLine(kafka.Complete());
}
