using Microsoft.Extensions.Time.Testing;
using Switchyard.Auth;

namespace Switchyard.Tests.Auth;

/// <summary>The key index: entries with an end (an expiry, a rotation's grace) stop on the clock, without a swap.</summary>
public sealed class KeyStoreTests
{
    private static readonly AuthSettings NoConfigKeys = new("M", null, []);

    [Fact]
    public void Find_EntryPastItsEnd_IsNull_BeforeItIsTheCaller()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        var store = new KeyStore(NoConfigKeys, time);
        var caller = new Caller("key_a", KeyRole.Client);
        store.Replace([new KeyEntry(KeyHasher.Hash("sk-a"), caller, time.GetUtcNow().AddMinutes(1).ToUnixTimeMilliseconds())], open: false);

        Assert.Same(caller, store.Find(KeyHasher.Hash("sk-a")));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Same(caller, store.Find(KeyHasher.Hash("sk-a")));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(store.Find(KeyHasher.Hash("sk-a")));
    }

    [Fact]
    public void Replace_WithEntries_SwapsEverythingAtOnce_AndOpenIsWhatItSays()
    {
        var store = new KeyStore(new AuthSettings("M", null, [new ClientKey("old", KeyHasher.Hash("sk-old"))]), TimeProvider.System);

        store.Replace([new KeyEntry(KeyHasher.Hash("sk-new"), new Caller("new", KeyRole.Operator))], open: false);

        Assert.Null(store.Find(KeyHasher.Hash("sk-old")));
        Assert.Equal(("new", KeyRole.Operator), (store.Find(KeyHasher.Hash("sk-new"))!.KeyId, store.Find(KeyHasher.Hash("sk-new"))!.Role));
        Assert.False(store.IsOpen);
        store.Replace([], open: true);
        Assert.True(store.IsOpen);
    }

    [Fact]
    public void ConfigKeyWithPolicy_CarriesItToTheCaller_AndExpires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2027-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var policy = new KeyPolicy { TeamId = "search", AllowedModels = ["chat"], ExpiresAt = time.GetUtcNow().AddDays(1) };
        var store = new KeyStore(new AuthSettings("M", null, [new ClientKey("app", KeyHasher.Hash("sk-app")) { Policy = policy }]), time);

        Assert.Same(policy, store.Find(KeyHasher.Hash("sk-app"))!.Policy);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Null(store.Find(KeyHasher.Hash("sk-app")));
    }
}
