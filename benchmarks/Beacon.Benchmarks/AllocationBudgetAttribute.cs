namespace Beacon.Benchmarks;

/// <summary>
/// The checked-in allocation budget of one benchmark: bytes it may allocate per operation
/// (0 on the ring/decode path, issues 4 and 9). <see cref="AllocationBudget"/> enforces it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AllocationBudgetAttribute(int bytesPerOperation) : Attribute
{
    public int BytesPerOperation { get; } = bytesPerOperation;
}
