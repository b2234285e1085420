using System.Text;
using Beacon.Router.Rules;

namespace Beacon.Router.Tests.Rules;

public sealed class RuleSetJsonTests
{
    private static readonly HashSet<string> Routes = ["order", "pageview", "exposure", "perf", "default"];

    [Fact]
    public void A_full_rule_set_reads_and_writes_back_the_same()
    {
        const string json = """
            {"rules":[
              {"id":"shed-exposure","action":"sample","rate":0.1,"scope":{"app":["shop"],"platform":["web","ios"],"event":["exp"],"route":["exposure"],"sdk":{"name":"js","min":"1.2","max":"2.0.0"}},"start":"2026-11-21T10:00:00Z","end":"2026-11-21T12:00:00Z"},
              {"id":"hold-perf","action":"hold","scope":{"route":["perf"]}},
              {"id":"drop-bots","action":"drop","scope":{"event":["bot"]}}]}
            """;

        var rules = RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), Routes);

        Assert.Equal(["shed-exposure", "hold-perf", "drop-bots"], rules.Select(static r => r.Id));
        var sample = rules[0];
        Assert.Equal(RuleAction.Sample, sample.Action);
        Assert.Equal(0.1, sample.Rate);
        Assert.Equal(["web", "ios"], sample.Scope.Platforms);
        Assert.Equal("js", sample.Scope.Sdk!.Name);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), sample.Start);
        Assert.Equal(RuleAction.Hold, rules[1].Action);
        Assert.Equal(1.0, rules[1].Rate);

        var set = new RuleSet(3, rules, RuleSetChange.Between([], rules, "alice", 1_800_000_000_000));
        var again = RuleSetJson.ReadVersion(RuleSetJson.WriteVersion(set));
        Assert.Equal(3, again.Version);
        Assert.Equal("alice", again.Change.Author);
        Assert.Equal(["shed-exposure", "hold-perf", "drop-bots"], again.Change.Added);
        Assert.All(again.Rules.Zip(rules), pair => Assert.True(pair.First.SameAs(pair.Second), pair.First.Id));
        Assert.Equal(RuleSetJson.WriteVersion(set), RuleSetJson.WriteVersion(again));
    }

    [Theory]
    [InlineData("[]", "JSON object with a \"rules\" array")]
    [InlineData("{\"rules\":[], \"extra\":1}", "Unknown field \"extra\"")]
    [InlineData("{\"rules\":{}}", "\"rules\" must be an array")]
    [InlineData("{\"rules\":[1]}", "rules[0]: a rule must be an object")]
    [InlineData("{\"rules\":[{\"action\":\"drop\"}]}", "rules[0].id is required")]
    [InlineData("{\"rules\":[{\"id\":\"Upper\",\"action\":\"drop\"}]}", "rules[0].id is required")]
    [InlineData("{\"rules\":[{\"id\":\"..\",\"action\":\"drop\"}]}", "rules[0].id is required")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\"},{\"id\":\"a\",\"action\":\"hold\"}]}", "rules[1]: id \"a\" is used twice")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"shed\"}]}", "(\"a\").action must be \"sample\", \"hold\" or \"drop\"")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"sample\"}]}", "(\"a\").rate is required for sample")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"sample\",\"rate\":1.5}]}", "(\"a\").rate is required for sample")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"sample\",\"rate\":\"0.5\"}]}", "rules[0].rate must be a number")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"rate\":0.5}]}", "(\"a\").rate only applies to sample rules")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scop\":{}}]}", "rules[0]: unknown field \"scop\"")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"country\":[\"de\"]}}]}", "unknown dimension \"country\"")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"app\":[]}}]}", "rules[0].scope.app must be an array of 1 to 100 strings")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"app\":\"shop\"}}]}", "rules[0].scope.app must be an array")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"route\":[\"checkout\"]}}]}", "\"checkout\" is not a route of the route table")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"sdk\":{\"min\":\"1.0\"}}}]}", "rules[0].scope.sdk.name is required")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"sdk\":{\"name\":\"js\",\"min\":\"one\"}}}]}", "\"one\" is not a version")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"sdk\":{\"name\":\"js\",\"min\":\"2.0\",\"max\":\"2.0.0\"}}}]}", "max must be above min")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"start\":\"tomorrow\"}]}", "rules[0].start must be an ISO 8601 time")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"start\":\"2026-11-21T10:00:00Z\",\"end\":\"2026-11-21T09:00:00Z\"}]}", "(\"a\").end must be after start")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"start\":\"2026-11-21T10:00:00Z\",\"end\":\"2026-11-21T10:00:00Z\"}]}", "(\"a\").end must be after start")]
    [InlineData("{\"rules\":[{\"id\":\"a\",\"action\":\"sample\",\"rate\":-0.01}]}", "(\"a\").rate is required for sample")]
    [InlineData("{\"rules\":[", "Not valid JSON")]
    public void An_invalid_rule_set_is_refused_with_the_first_problem_named(string json, string reason)
    {
        var error = Assert.Throws<RuleValidationException>(() => RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), Routes));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_the_maximum_number_of_rules_is_refused()
    {
        var json = "{\"rules\":[" + string.Join(",", Enumerable.Range(0, RuleSetJson.MaxRules + 1).Select(static i => $"{{\"id\":\"r{i}\",\"action\":\"drop\"}}")) + "]}";

        var error = Assert.Throws<RuleValidationException>(() => RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), Routes));

        Assert.Contains($"At most {RuleSetJson.MaxRules} rules", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_sees_only_the_rules_its_app_platform_and_sdk_can_match()
    {
        var rules = RuleSetJson.ReadRules("""
            {"rules":[
              {"id":"shop-web","action":"drop","scope":{"app":["shop"],"platform":["web"]}},
              {"id":"news","action":"drop","scope":{"app":["news"]}},
              {"id":"old-js","action":"hold","scope":{"sdk":{"name":"js","max":"2.0"}}},
              {"id":"everyone","action":"sample","rate":0.5}]}
            """u8, Routes);
        var set = new RuleSet(4, rules);

        Assert.Equal(["shop-web", "old-js", "everyone"], ClientRules(set, "shop", "web", "js/1.9.9"));
        Assert.Equal(["shop-web", "everyone"], ClientRules(set, "shop", "web", "js/2.0.0"));
        Assert.Equal(["everyone"], ClientRules(set, "shop", "ios", "ios/3.1"));
        // A client that names nothing may meet any rule.
        Assert.Equal(["shop-web", "news", "old-js", "everyone"], ClientRules(set, null, null, null));
    }

    [Fact]
    public void A_client_naming_its_app_or_platform_in_another_case_does_not_see_the_rules_scoped_to_them()
    {
        var rules = RuleSetJson.ReadRules("""
            {"rules":[
              {"id":"shop","action":"drop","scope":{"app":["shop"]}},
              {"id":"web","action":"drop","scope":{"platform":["web"]}},
              {"id":"everyone","action":"sample","rate":0.5}]}
            """u8, Routes);
        var set = new RuleSet(4, rules);

        Assert.Equal(["shop", "web", "everyone"], ClientRules(set, "shop", "web", null));
        Assert.Equal(["web", "everyone"], ClientRules(set, "Shop", "web", null));
        Assert.Equal(["shop", "everyone"], ClientRules(set, "shop", "Web", null));
    }

    [Fact]
    public void Exactly_the_maximum_number_of_rules_is_accepted()
    {
        var json = "{\"rules\":[" + string.Join(",", Enumerable.Range(0, RuleSetJson.MaxRules).Select(static i => $"{{\"id\":\"r{i}\",\"action\":\"drop\"}}")) + "]}";

        Assert.Equal(RuleSetJson.MaxRules, RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), Routes).Count);
    }

    [Theory]
    [InlineData(RuleSetJson.MaxValuesPerDimension, 1)]
    [InlineData(1, RuleSetJson.MaxValueLength)]
    public void Scope_values_at_their_count_and_length_limits_are_accepted(int count, int length)
    {
        var rule = Assert.Single(RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(AppScope(count, length)), Routes));

        Assert.Equal(count, rule.Scope.Apps.Count);
        Assert.All(rule.Scope.Apps, value => Assert.Equal(length, value.Length));
    }

    [Theory]
    [InlineData(RuleSetJson.MaxValuesPerDimension + 1, 1, "must be an array of 1 to 100 strings")]
    [InlineData(1, RuleSetJson.MaxValueLength + 1, "values must be 1 to 256 characters")]
    public void Scope_values_past_their_count_or_length_limit_are_refused(int count, int length, string reason)
    {
        var error = Assert.Throws<RuleValidationException>(() => RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(AppScope(count, length)), Routes));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_sdk_name_of_the_maximum_value_length_is_accepted_and_one_longer_is_refused()
    {
        static string Sdk(int length) => "{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"sdk\":{\"name\":\"" + new string('s', length) + "\"}}}]}";

        var rule = Assert.Single(RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(Sdk(RuleSetJson.MaxValueLength)), Routes));
        Assert.Equal(RuleSetJson.MaxValueLength, rule.Scope.Sdk!.Name.Length);
        Assert.Throws<RuleValidationException>(() => RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(Sdk(RuleSetJson.MaxValueLength + 1)), Routes));
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("1", 1.0)]
    public void A_sample_rate_at_either_end_of_its_range_is_accepted(string rate, double expected)
    {
        var rule = Assert.Single(RuleSetJson.ReadRules(Encoding.UTF8.GetBytes("{\"rules\":[{\"id\":\"a\",\"action\":\"sample\",\"rate\":" + rate + "}]}"), Routes));

        Assert.Equal(expected, rule.Rate);
    }

    [Fact]
    public void A_body_naming_the_version_it_was_read_at_is_accepted()
    {
        var rules = RuleSetJson.ReadRules("""{"version":7,"rules":[{"id":"a","action":"drop"}]}"""u8, Routes);

        Assert.Equal("a", Assert.Single(rules).Id);
    }

    [Fact]
    public void The_client_view_carries_the_visitor_id_or_null_without_one()
    {
        using var known = System.Text.Json.JsonDocument.Parse(RuleSetJson.WriteClientView(RuleSet.Empty, null, null, null, "0123456789abcdef0123456789abcdef", 30));
        using var anonymous = System.Text.Json.JsonDocument.Parse(RuleSetJson.WriteClientView(RuleSet.Empty, null, null, null, null, 30));

        Assert.Equal("0123456789abcdef0123456789abcdef", known.RootElement.GetProperty("visitor_id").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, anonymous.RootElement.GetProperty("visitor_id").ValueKind);
    }

    private static string AppScope(int count, int length) =>
        "{\"rules\":[{\"id\":\"a\",\"action\":\"drop\",\"scope\":{\"app\":[" + string.Join(",", Enumerable.Repeat("\"" + new string('a', length) + "\"", count)) + "]}}]}";

    private static string[] ClientRules(RuleSet set, string? app, string? platform, string? sdk)
    {
        using var json = System.Text.Json.JsonDocument.Parse(RuleSetJson.WriteClientView(set, app, platform, sdk, "0123456789abcdef0123456789abcdef", 30));
        Assert.Equal(4, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(30, json.RootElement.GetProperty("max_age").GetInt32());
        return [.. json.RootElement.GetProperty("rules").EnumerateArray().Select(static r => r.GetProperty("id").GetString()!)];
    }
}
