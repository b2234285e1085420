using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Rules;

namespace Beacon.Router.Tests.Rules;

/// <summary>The embedded default's config log, and what any log needs from the book: order decides.</summary>
public sealed class RuleLogTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly RouteTable _table = new(new RouteTableOptions());

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_book_takes_only_the_next_version()
    {
        var book = new RuleBook();

        Assert.False(book.Accept(new RuleSet(2, [])));
        Assert.True(book.Accept(new RuleSet(1, [Drop("a")])));
        Assert.False(book.Accept(new RuleSet(1, [Drop("b")])));

        Assert.Equal(1, book.Current.Version);
        Assert.Equal("a", Assert.Single(book.Current.Rules).Id);
        Assert.Equal([0L, 1L], book.History.Select(static s => s.Version));
    }

    [Fact]
    public void A_rule_id_keeps_its_counter_across_versions()
    {
        var book = new RuleBook();
        book.Accept(new RuleSet(1, [Drop("a")]));
        book.Current.Rules[0].Counter.Count(RuleOutcome.Dropped);

        book.Accept(new RuleSet(2, [Drop("a"), Drop("b")]));

        Assert.Same(book.CounterFor("a"), book.Current.Rules[0].Counter);
        Assert.Equal(1, book.Current.Rules[0].Counter.Dropped);
    }

    [Fact]
    public async Task Changes_are_versioned_audited_and_survive_a_restart()
    {
        using (var admin = await AdministratorAsync())
        {
            var first = await admin.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"a","action":"drop"}]}"""), 0, "alice", default);
            var second = await admin.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"a","action":"hold"},{"id":"b","action":"drop"}]}"""), 1, "bob", default);

            Assert.Equal(RuleChangeStatus.Applied, first.Status);
            Assert.Equal(RuleChangeStatus.Applied, second.Status);
            Assert.Equal(2, second.Current.Version);
            Assert.Equal("bob", second.Current.Change.Author);
            Assert.Equal(["b"], second.Current.Change.Added);
            Assert.Equal(["a"], second.Current.Change.Changed);
        }

        using var restarted = await AdministratorAsync();
        Assert.Equal(2, restarted.Book.Current.Version);
        Assert.Equal(["a", "b"], restarted.Book.Current.Rules.Select(static r => r.Id));
        Assert.Equal("alice", restarted.Book.Find(1)!.Change.Author);
    }

    [Fact]
    public async Task A_stale_version_or_an_invalid_set_changes_nothing()
    {
        using var admin = await AdministratorAsync();
        await admin.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"a","action":"drop"}]}"""), null, "alice", default);

        var stale = await admin.Administrator.ReplaceAsync(Rules("""{"rules":[]}"""), 0, "bob", default);
        var invalid = await admin.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"b","action":"explode"}]}"""), 1, "bob", default);

        Assert.Equal(RuleChangeStatus.Conflict, stale.Status);
        Assert.Contains("version 1, not 0", stale.Error, StringComparison.Ordinal);
        Assert.Equal(RuleChangeStatus.Invalid, invalid.Status);
        Assert.Equal(1, admin.Book.Current.Version);
        Assert.Equal("a", Assert.Single(admin.Book.Current.Rules).Id);
        Assert.Single(Directory.GetFiles(_directory.Path, "v*.json"));
    }

    [Fact]
    public async Task A_rollback_is_a_new_version_with_the_old_rules()
    {
        using var admin = await AdministratorAsync();
        await admin.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"a","action":"drop"}]}"""), null, "alice", default);
        await admin.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"b","action":"hold"}]}"""), null, "alice", default);

        var rollback = await admin.Administrator.RollBackAsync(1, 2, "carol", default);
        var missing = await admin.Administrator.RollBackAsync(9, null, "carol", default);

        Assert.Equal(RuleChangeStatus.Applied, rollback.Status);
        Assert.Equal(3, rollback.Current.Version);
        Assert.Equal(1, rollback.Current.Change.RolledBackTo);
        Assert.Equal("a", Assert.Single(rollback.Current.Rules).Id);
        Assert.Equal(RuleChangeStatus.NotFound, missing.Status);
    }

    [Fact]
    public async Task Two_collectors_sharing_the_directory_converge_and_only_one_writer_wins_a_version()
    {
        using var one = await AdministratorAsync();
        using var two = await AdministratorAsync();

        // Both read version 0 and write version 1 at once: the file that lands first is version 1 for everyone.
        var results = await Task.WhenAll(
            one.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"from-one","action":"drop"}]}"""), 0, "one", default),
            two.Administrator.ReplaceAsync(Rules("""{"rules":[{"id":"from-two","action":"drop"}]}"""), 0, "two", default));

        Assert.Single(results, static r => r.Status == RuleChangeStatus.Applied);
        Assert.Single(results, static r => r.Status == RuleChangeStatus.Conflict);
        var winner = results.Single(static r => r.Status == RuleChangeStatus.Applied).Current.Rules[0].Id;
        await WaitUntilAsync(() => one.Book.Current.Version == 1 && two.Book.Current.Version == 1);
        Assert.Equal(winner, one.Book.Current.Rules[0].Id);
        Assert.Equal(winner, two.Book.Current.Rules[0].Id);

        // A change on one reaches the other by polling.
        await one.Administrator.ReplaceAsync(Rules("""{"rules":[]}"""), 1, "one", default);
        await WaitUntilAsync(() => two.Book.Current.Version == 2);
        Assert.Empty(two.Book.Current.Rules);
    }

    [Fact]
    public async Task A_writer_that_loses_a_version_leaves_no_temporary_file_and_the_first_one_stands()
    {
        var book = new RuleBook();
        using var log = new FileRuleLog(_directory.Path, TimeSpan.FromMinutes(10));
        await log.StartAsync(book, default);
        await log.AppendAsync(new RuleSet(1, [Drop("first")]), default);

        await log.AppendAsync(new RuleSet(1, [Drop("second")]), default);

        Assert.Equal("first", Assert.Single(book.Current.Rules).Id);
        Assert.Equal(["v000000000001.json"], Directory.GetFiles(_directory.Path).Select(Path.GetFileName));
    }

    private async Task<Admin> AdministratorAsync()
    {
        var book = new RuleBook();
        var log = new FileRuleLog(_directory.Path, TimeSpan.FromMilliseconds(50));
        await log.StartAsync(book, default);
        return new Admin(book, log, new RuleAdministrator(book, log, _table, new RecentEvents(16), TimeProvider.System));
    }

    private static ReadOnlyMemory<byte> Rules(string json) => Encoding.UTF8.GetBytes(json);

    private static Rule Drop(string id) => new(id, RuleAction.Drop, RuleScope.Everything);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(20);
        }
    }

    private sealed record Admin(RuleBook Book, FileRuleLog Log, RuleAdministrator Administrator) : IDisposable
    {
        public void Dispose()
        {
            Administrator.Dispose();
            Log.Dispose();
        }
    }
}
