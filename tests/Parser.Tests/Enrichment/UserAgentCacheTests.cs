using System.Globalization;
using System.Text;
using Beacon.Parser.Enrichment;

namespace Beacon.Parser.Tests.Enrichment;

/// <summary><see cref="UserAgentCache"/> on its own: its front index and its generations, deterministically.</summary>
public sealed class UserAgentCacheTests
{
    [Fact]
    public void User_agents_of_the_same_length_sharing_a_front_slot_each_get_their_own_result()
    {
        // 2,000 keys of one length in 512 front slots: many share a slot, so the front entry seen
        // first is often another key's, and only its bytes tell them apart.
        var cache = new UserAgentCache(10_000);
        var keys = Enumerable.Range(0, 2_000).Select(static i => Key(i)).ToArray();
        var infos = keys.Select(static (_, i) => Info(i)).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            cache.Add(keys[i], infos[i]);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(cache.TryGet(keys[i], out var info), $"key {i} missing");
            Assert.Same(infos[i], info);
        }
    }

    [Fact]
    public void The_same_user_agent_added_twice_is_held_once()
    {
        // Two threads that both miss add the same User-Agent, each with its own array.
        var cache = new UserAgentCache(4);

        cache.Add(Key(1), Info(1));
        cache.Add(Key(1), Info(1));

        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void A_user_agent_found_in_the_old_generation_behind_the_front_index_is_kept_through_the_next_turnover()
    {
        // Generations of 2,000. The first 2,000 keys fill the young one and turn it old. 600 of them
        // are then looked up: more than the front has slots, so some are found only in the old
        // generation's dictionary, and each must move to the young one like those found in front.
        // 2,000 new keys then turn the generations over once, whether or not all 600 moved (but not
        // twice, even with the 600 moving again below), and the first old generation is dropped.
        var cache = new UserAgentCache(4_000);
        var infos = Enumerable.Range(0, 4_000).Select(static i => Info(i)).ToArray();
        for (var i = 0; i < 2_000; i++)
        {
            cache.Add(Key(i), infos[i]);
        }

        for (var i = 0; i < 600; i++)
        {
            Assert.True(cache.TryGet(Key(i), out _), $"key {i} missing before the turnover");
        }

        for (var i = 2_000; i < 4_000; i++)
        {
            cache.Add(Key(i), infos[i]);
        }

        for (var i = 0; i < 600; i++)
        {
            Assert.True(cache.TryGet(Key(i), out var info), $"key {i} dropped by the turnover");
            Assert.Same(infos[i], info);
        }
    }

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"Mozilla/5.0 Test/{i.ToString("D4", CultureInfo.InvariantCulture)}");

    private static UserAgentInfo Info(int i) => new("Test", i.ToString(CultureInfo.InvariantCulture), "Other", null, DeviceClass.Desktop, isBot: false);
}
