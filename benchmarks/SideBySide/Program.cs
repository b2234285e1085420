using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;

// SideBySide BEFORE_DIR AFTER_DIR [--class PipelineBenchmarks] [--method DecodeAndEnrich] [--seconds 20] [--load-after-first]
// Loads Beacon.Benchmarks.dll from two build directories into two load contexts of one process and
// times one benchmark method of each in turn: before, after, after, before, for the given seconds.
// On this shared VM a process's speed varies by up to 2x from one start to the next (where it lands,
// what the tiered JIT made of it), which drowns a 10 % change between two BenchmarkDotNet runs; in
// one process both builds see the same machine at the same moment. Prints ns per call for each build
// (min, p10, median of the samples) and the median of the rounds' after/before ratios. The build
// loaded first can come out a few per cent faster or slower for that reason alone: run it both ways
// (--load-after-first), as benchmarks/side-by-side.sh does.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: SideBySide BEFORE_DIR AFTER_DIR [--class PipelineBenchmarks] [--method DecodeAndEnrich] [--seconds 20] [--load-after-first]");
    return 2;
}

var className = Option("--class", "PipelineBenchmarks");
var methodName = Option("--method", "DecodeAndEnrich");
var seconds = double.Parse(Option("--seconds", "20"), CultureInfo.InvariantCulture);
var afterFirst = args.Contains("--load-after-first");
var after = afterFirst ? Load(args[1]) : null;
var before = Load(args[0]);
after ??= Load(args[1]);

const int CallsPerSample = 20_000;
var beforeSamples = new List<double>();
var afterSamples = new List<double>();
var ratios = new List<double>();
var clock = Stopwatch.StartNew();
while (clock.Elapsed.TotalSeconds < seconds)
{
    // before, after, after, before: each build is timed first as often as second.
    var b1 = Sample(before);
    var a1 = Sample(after);
    var a2 = Sample(after);
    var b2 = Sample(before);
    beforeSamples.AddRange([b1, b2]);
    afterSamples.AddRange([a1, a2]);
    ratios.Add((a1 + a2) / (b1 + b2));
}

beforeSamples.Sort();
afterSamples.Sort();
ratios.Sort();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{className}.{methodName} ({(afterFirst ? "after" : "before")} loaded first): before {Summary(beforeSamples)} | after {Summary(afterSamples)} | " +
    $"after/before: median of {ratios.Count} rounds {ratios[ratios.Count / 2]:F3} (middle half {ratios[ratios.Count / 4]:F3}–{ratios[3 * ratios.Count / 4]:F3})"));
return 0;

static double Sample(Func<int> call)
{
    var started = Stopwatch.GetTimestamp();
    for (var i = 0; i < CallsPerSample; i++)
    {
        call();
    }

    return Stopwatch.GetElapsedTime(started).TotalNanoseconds / CallsPerSample;
}

// The result is dropped here, not boxed: the same thin wrapper around either build's method.
static Func<int> Discarding<T>(Func<T> call) => () =>
{
    call();
    return 0;
};

static string Summary(List<double> sorted) => string.Create(CultureInfo.InvariantCulture,
    $"min {sorted[0]:F0} p10 {sorted[sorted.Count / 10]:F0} median {sorted[sorted.Count / 2]:F0} ns");

Func<int> Load(string directory)
{
    directory = Path.GetFullPath(directory);
    var context = new AssemblyLoadContext(directory);
    context.Resolving += (loading, name) =>
    {
        var path = Path.Combine(directory, name.Name + ".dll");
        return File.Exists(path) ? loading.LoadFromAssemblyPath(path) : null;
    };
    var assembly = context.LoadFromAssemblyPath(Path.Combine(directory, "Beacon.Benchmarks.dll"));
    var type = assembly.GetTypes().Single(t => t.Name == className);
    var instance = Activator.CreateInstance(type)!;
    type.GetMethods().SingleOrDefault(static m => m.Name == "Setup")?.Invoke(instance, null);
    var method = type.GetMethod(methodName, BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)
        ?? throw new ArgumentException($"{className} has no public method {methodName}().");
    return method.ReturnType == typeof(bool) ? Discarding(method.CreateDelegate<Func<bool>>(instance))
        : method.ReturnType == typeof(long) ? Discarding(method.CreateDelegate<Func<long>>(instance))
        : method.ReturnType == typeof(int) ? Discarding(method.CreateDelegate<Func<int>>(instance))
        : throw new ArgumentException($"{className}.{methodName} returns {method.ReturnType.Name}: bool, int or long expected.");
}

string Option(string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
