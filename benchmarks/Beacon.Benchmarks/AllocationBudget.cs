using System.Reflection;
using BenchmarkDotNet.Reports;

namespace Beacon.Benchmarks;

/// <summary>
/// Holds every benchmark that carries an <see cref="AllocationBudgetAttribute"/> to its budget,
/// using what <c>[MemoryDiagnoser]</c> measured.
/// </summary>
internal static class AllocationBudget
{
    /// <summary>
    /// Prints one line per budgeted benchmark that ran; false when any of them went over. With
    /// <paramref name="everyBudgetRuns"/> also one per budgeted benchmark that did not run, and false
    /// then too: a filter that matched nothing would otherwise pass without checking anything.
    /// </summary>
    public static bool Check(IReadOnlyList<Summary> summaries, TextWriter output, bool everyBudgetRuns = false)
    {
        var met = true;
        if (everyBudgetRuns)
        {
            var ran = summaries.SelectMany(static s => s.Reports).Select(static r => r.BenchmarkCase.Descriptor.WorkloadMethod).ToHashSet();
            foreach (var method in typeof(AllocationBudget).Assembly.GetTypes().SelectMany(static t => t.GetMethods())
                .Where(m => m.GetCustomAttribute<AllocationBudgetAttribute>() is not null && !ran.Contains(m)))
            {
                output.WriteLine($"allocation budget: {method.DeclaringType?.Name}.{method.Name}: did not run — MISSED");
                met = false;
            }
        }

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
