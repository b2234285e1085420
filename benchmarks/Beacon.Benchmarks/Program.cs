using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Beacon.Benchmarks;

// benchmarks/run.sh is the way in. --quick: BenchmarkDotNet's short job (3 warm-ups, 3 iterations),
// for iterating; the default job is still modest (3 warm-ups, 10 iterations) so a full run stays
// within a few minutes on 2 cores. --budget: only the benchmarks with an [AllocationBudget], in this
// process, one fixed-size iteration each (no pilot): what [MemoryDiagnoser] needs, in seconds, so the
// test command can hold them to their budgets; its times mean nothing. [MemoryDiagnoser] counts the
// whole process, and the in-process host allocates 4-9 KB of its own per measured iteration: over
// 131,072 operations that rounds to 0 B each, while a single object per operation is 24 B or more.
// Any other argument goes to BenchmarkDotNet (--filter '*Ring*', --list flat). The exit code is 1 when
// a benchmark went over its [AllocationBudget] (with --budget, also when one did not run).
var quick = args.Contains("--quick");
var budget = args.Contains("--budget");
var job = budget
    ? Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(1)
        .WithInvocationCount(131_072).WithUnrollFactor(16).WithToolchain(InProcessEmitToolchain.Instance).WithId("Budget")
    : quick
        ? Job.ShortRun
        : Job.Default.WithWarmupCount(3).WithIterationCount(10).WithId("Full");

var config = DefaultConfig.Instance.AddJob(job)
    // Median and Min beside the Mean: on a shared 2-core box other processes' bursts inflate the
    // mean; the minimum is the figure least moved by them.
    .AddColumn(StatisticColumn.Median, StatisticColumn.Min);
if (budget)
{
    config = config.AddFilter(new SimpleFilter(static b => b.Descriptor.WorkloadMethod.GetCustomAttribute<AllocationBudgetAttribute>() is not null));
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(AllocationBudget).Assembly)
    .Run([.. args.Where(static a => a is not ("--quick" or "--budget"))], config)
    .ToList();

return AllocationBudget.Check(summaries, Console.Out, everyBudgetRuns: budget) ? 0 : 1;
