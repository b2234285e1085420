using System.Collections.Concurrent;

namespace Beacon.Collector.Batch;

/// <summary>
/// Batch ids answered recently, with their answers, so a retried batch is answered the same way and
/// enqueued once. The first request with an id reserves it; a concurrent duplicate waits for that
/// request's answer instead of enqueueing a second copy. 5xx answers are forgotten at once (a retry must
/// be able to try again). Bounded: ids expire after <see cref="BatchOptions.BatchIdTtl"/>, and past
/// <see cref="BatchOptions.BatchIdCapacity"/> the oldest answered ids go first.
/// </summary>
internal sealed class BatchIdCache(BatchOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Id, Entry Entry)> _order = new();
    private readonly Lock _trimming = new();

    public int Count => _entries.Count;

    /// <summary>
    /// True when the caller now owns <paramref name="id"/> and must <see cref="Complete"/> it; false when
    /// another request has it, and <paramref name="answer"/> is (or will be) that request's answer.
    /// </summary>
    public bool TryReserve(string id, out Entry entry, out Task<BatchAnswer> answer)
    {
        Trim();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        while (true)
        {
            var mine = new Entry();
            var existing = _entries.GetOrAdd(id, mine);
            if (ReferenceEquals(existing, mine))
            {
                _order.Enqueue((id, mine));
                entry = mine;
                answer = mine.Answer.Task;
                return true;
            }

            if (existing.ExpiresAtMs > now)
            {
                entry = existing;
                answer = existing.Answer.Task;
                return false;
            }

            // Expired: forget it and reserve afresh.
            _entries.TryRemove(new KeyValuePair<string, Entry>(id, existing));
        }
    }

    /// <summary>Publishes the owner's answer to everyone waiting on the id; remembers it only when final.</summary>
    public void Complete(string id, Entry entry, BatchAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.IsFinal)
        {
            Volatile.Write(ref entry.ExpiresAtMs, time.GetUtcNow().ToUnixTimeMilliseconds() + (long)options.BatchIdTtl.TotalMilliseconds);
        }
        else
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(id, entry));
        }

        entry.Answer.TrySetResult(answer);
    }

    /// <summary>Drops expired answered ids, then the oldest answered ones while over capacity; never one still in progress.</summary>
    private void Trim()
    {
        // One trimmer at a time (peek and dequeue must see the same entry); the others need not wait.
        if (!_trimming.TryEnter())
        {
            return;
        }

        try
        {
            TrimLocked();
        }
        finally
        {
            _trimming.Exit();
        }
    }

    private void TrimLocked()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        while (_order.TryPeek(out var oldest))
        {
            var settled = oldest.Entry.Answer.Task.IsCompleted;
            var removed = !_entries.TryGetValue(oldest.Id, out var current) || !ReferenceEquals(current, oldest.Entry);
            // At capacity, not over it: this runs before the id being reserved is added.
            if (!removed && !(settled && (Volatile.Read(ref oldest.Entry.ExpiresAtMs) <= now || _entries.Count >= options.BatchIdCapacity)))
            {
                return;
            }

            if (_order.TryDequeue(out var dequeued) && !removed)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(dequeued.Id, dequeued.Entry));
            }
        }
    }

    /// <summary>One id's answer; in progress until its owner completes it.</summary>
    internal sealed class Entry
    {
        /// <summary>Unix ms after which the id is forgotten; never while in progress.</summary>
        public long ExpiresAtMs = long.MaxValue;

        public TaskCompletionSource<BatchAnswer> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
