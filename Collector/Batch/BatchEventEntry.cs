using Beacon.Router.Routing;

namespace Beacon.Collector.Batch;

/// <summary>One accepted event: where its parameters are in <see cref="ParsedBatch.Events"/>, its key and its priority.</summary>
internal readonly record struct BatchEventEntry(int Start, int Length, Guid VisitorId, Priority Priority);
