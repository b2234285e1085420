namespace Beacon.Collector.Tests.Deployment;

/// <summary>Files of the repository the tests run from (found by walking up to Beacon.sln).</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootPath = new(static () =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Beacon.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Beacon.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootPath.Value;

    public static string K8s => Path.Combine(Root, "k8s");
}
