using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Beacon.Benchmarks;

// benchmarks/run.sh is the way in. --quick: BenchmarkDotNet's short job (3 warm-ups, 3 iterations),
// for iterating; the default job is still modest (3 warm-ups, 10 iterations) so a full run stays
// within a few minutes on 2 cores. Any other argument goes to BenchmarkDotNet (--filter '*Ring*', --list flat).
// The exit code is 1 when a benchmark went over its [AllocationBudget].
var quick = args.Contains("--quick");
var job = quick
    ? Job.ShortRun
    : Job.Default.WithWarmupCount(3).WithIterationCount(10).WithId("Full");

var summaries = BenchmarkSwitcher.FromAssembly(typeof(AllocationBudget).Assembly)
    // Median and Min beside the Mean: on a shared 2-core box other processes' bursts inflate the
    // mean; the minimum is the figure least moved by them.
    .Run([.. args.Where(static a => a != "--quick")], DefaultConfig.Instance.AddJob(job).AddColumn(StatisticColumn.Median, StatisticColumn.Min))
    .ToList();

return AllocationBudget.Check(summaries, Console.Out) ? 0 : 1;
