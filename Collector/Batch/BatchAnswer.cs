namespace Beacon.Collector.Batch;

/// <summary>A batch request's answer, kept whole so a retry of the same batch id gets exactly the same one.</summary>
internal sealed record BatchAnswer(int Status, byte[] Body)
{
    /// <summary>5xx answers are not remembered: the client must be able to retry and be heard.</summary>
    public bool IsFinal => Status < 500;
}
