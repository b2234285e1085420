using System.Reflection;
using BenchmarkDotNet.Reports;

namespace Beacon.Benchmarks;

/// <summary>
/// Holds every benchmark that carries an <see cref="AllocationBudgetAttribute"/> to its budget,
/// using what <c>[MemoryDiagnoser]</c> measured.
/// </summary>
internal static class AllocationBudget
{
    /// <summary>Prints one line per budgeted benchmark that ran; false when any of them went over.</summary>
    public static bool Check(IEnumerable<Summary> summaries, TextWriter output)
    {
        var met = true;
        foreach (var report in summaries.SelectMany(static s => s.Reports))
        {
            var benchmark = report.BenchmarkCase;
            var method = benchmark.Descriptor.WorkloadMethod;
            if (method.GetCustomAttribute<AllocationBudgetAttribute>() is not { } budget)
            {
                continue;
            }

            var name = $"{method.DeclaringType?.Name}.{method.Name}{benchmark.Parameters.DisplayInfo}";
            var bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmark);
            if (bytes is null)
            {
                output.WriteLine($"allocation budget: {name}: not measured — MISSED");
                met = false;
            }
            else if (bytes > budget.BytesPerOperation)
            {
                output.WriteLine($"allocation budget: {name}: {bytes} B per operation, budget {budget.BytesPerOperation} B — MISSED");
                met = false;
            }
            else
            {
                output.WriteLine($"allocation budget: {name}: {bytes} B per operation, budget {budget.BytesPerOperation} B — met");
            }
        }

        return met;
    }
}
