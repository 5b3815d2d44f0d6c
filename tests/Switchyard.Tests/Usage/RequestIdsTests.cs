using System.Globalization;

namespace Switchyard.Tests.Usage;

/// <summary>The gateway's request ids: the key of every usage record.</summary>
public sealed class RequestIdsTests
{
    [Fact]
    public void NewId_IsReqAndAVersion7UuidInLowercaseHex_StampedWithTheCurrentMillisecond()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = RequestIds.NewId();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Matches("^req_[0-9a-f]{32}$", id);
        var hex = id[4..];
        Assert.Equal('7', hex[12]); // version
        Assert.Contains(hex[16], "89ab"); // RFC 9562 variant
        var stamp = long.Parse(hex[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.InRange(stamp, before, after);
        Assert.True(Guid.TryParseExact(hex, "N", out var guid));
        Assert.Equal(7, guid.Version);
    }

    [Fact]
    public async Task NewId_ManyAtOnceOnSeveralThreads_AreAllDistinct()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 50_000).Select(_ => RequestIds.NewId()).ToArray())));

        var all = batches.SelectMany(b => b).ToArray();
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());
    }
}
