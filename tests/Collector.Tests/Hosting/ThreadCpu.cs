using System.Globalization;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>
/// A process's CPU time per thread name, in clock ticks (utime + stime of /proc/PID/task/TID/stat), summed
/// over the threads of each name. Linux only, as the collector's deployments are.
/// </summary>
internal static class ThreadCpu
{
    public static Dictionary<string, long> TicksByName(int pid)
    {
        var ticks = new Dictionary<string, long>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string name, stat;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread exited between the listing and the read
            }

            // Fields after the ")" that closes the name: state is the 1st, utime the 12th, stime the 13th.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var used = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            ticks[name] = ticks.GetValueOrDefault(name) + used;
        }

        return ticks;
    }

    /// <summary>Ticks each thread name used between two snapshots (threads that exited in between are lost).</summary>
    public static Dictionary<string, long> Since(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.ToDictionary(static a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key));
}
