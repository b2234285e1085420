namespace Beacon.Benchmarks.Buffering;

/// <summary>
/// Long-lived producer threads, started once per benchmark case and released once per invocation,
/// so thread start-up is neither timed nor counted as allocation.
/// </summary>
internal sealed class ProducerThreads : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _go;
    private readonly Action<int> _produce;
    private volatile bool _stopping;
    private int _finished;

    /// <param name="count">Threads.</param>
    /// <param name="produce">One invocation's work for the producer with the given index.</param>
    public ProducerThreads(int count, Action<int> produce)
    {
        _produce = produce;
        _go = new SemaphoreSlim[count];
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _go[i] = new SemaphoreSlim(0);
            var index = i;
            _threads[i] = new Thread(() => Run(index)) { IsBackground = true, Name = $"producer-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Lets every producer run its share once.</summary>
    public void Start()
    {
        Volatile.Write(ref _finished, 0);
        foreach (var go in _go)
        {
            go.Release();
        }
    }

    /// <summary>Waits until every producer has returned from its share (the consumer has seen all records by then anyway).</summary>
    public void WaitFinished()
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref _finished) != _threads.Length)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var go in _go)
        {
            go.Release();
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }

        foreach (var go in _go)
        {
            go.Dispose();
        }
    }

    private void Run(int index)
    {
        while (true)
        {
            _go[index].Wait();
            if (_stopping)
            {
                return;
            }

            _produce(index);
            Interlocked.Increment(ref _finished);
        }
    }
}
