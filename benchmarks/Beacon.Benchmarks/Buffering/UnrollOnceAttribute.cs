using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;

namespace Beacon.Benchmarks.Buffering;

/// <summary>
/// Calls the benchmark once per loop turn instead of 16 times unrolled, and lets the pilot stage
/// choose how many calls make an iteration: one call already moves a million records.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class UnrollOnceAttribute() : JobMutatorConfigBaseAttribute(Job.Default.WithUnrollFactor(1));
