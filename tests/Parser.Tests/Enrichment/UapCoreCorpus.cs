using YamlDotNet.RepresentationModel;

namespace Beacon.Parser.Tests.Enrichment;

/// <summary>
/// uap-core's own test corpora (tests/test_ua.yaml, test_os.yaml, test_device.yaml) and the
/// regexes.yaml they were written for. The npm package ships no tests, so they come from Debian's
/// uap-core package (0.16.0), which test.sh installs; 3.5 MB that need not live in the repository.
/// </summary>
internal static class UapCoreCorpus
{
    public const string Directory = "/usr/share/uap-core";

    /// <summary>Every case of a corpus file: the User-Agent and the expected fields (null when the corpus leaves one empty).</summary>
    public static IReadOnlyList<Case> Read(string file)
    {
        var path = Path.Combine(Directory, "tests", file);
        Assert.True(File.Exists(path), $"{path} is missing: install Debian's uap-core package (./test.sh does).");
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        var cases = new List<Case>();
        foreach (var node in (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["test_cases"])
        {
            var fields = ((YamlMappingNode)node).Children.ToDictionary(
                static kv => ((YamlScalarNode)kv.Key).Value!,
                static kv => ((YamlScalarNode)kv.Value).Value is { Length: > 0 } value ? value : null,
                StringComparer.Ordinal);
            cases.Add(new Case(fields["user_agent_string"]!, fields));
        }

        return cases;
    }

    /// <summary>The regexes.yaml of the corpora's own release, to check the parser against them exactly.</summary>
    public static Stream OpenRegexes()
    {
        var path = Path.Combine(Directory, "regexes.yaml");
        Assert.True(File.Exists(path), $"{path} is missing: install Debian's uap-core package (./test.sh does).");
        return File.OpenRead(path);
    }

    internal sealed record Case(string UserAgent, IReadOnlyDictionary<string, string?> Expected)
    {
        public string? this[string field] => Expected.GetValueOrDefault(field);
    }
}
