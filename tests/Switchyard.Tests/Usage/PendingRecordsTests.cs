using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

/// <summary>What a usage flush waits for: the requests that entered before it, until each has settled; not later ones.</summary>
public sealed class PendingRecordsTests
{
    /// <summary>A bound on each wait, never a timing: a lost wake-up fails the test instead of hanging it.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task SettledAsync_WaitsForEveryRequestThatEnteredBefore_AndNotForLaterOnes()
    {
        var pending = new PendingRecords();
        var a = pending.Enter();
        var b = pending.Enter();

        var flush = pending.SettledAsync();
        var later = pending.Enter(); // after the flush was asked for: not waited for
        Assert.False(flush.IsCompleted);

        PendingRecords.Settled(a);
        Assert.False(flush.IsCompleted);
        PendingRecords.Settled(b);
        await flush.WaitAsync(Bound);

        var second = pending.SettledAsync();
        Assert.False(second.IsCompleted); // the later request is the second flush's to wait for
        PendingRecords.Settled(later);
        await second.WaitAsync(Bound);
    }

    [Fact]
    public async Task SettledAsync_WithNothingInFlight_IsDone_AndAnUnfinishedEarlierFlushIsStillWaitedFor()
    {
        var pending = new PendingRecords();
        await pending.SettledAsync().WaitAsync(Bound);

        var a = pending.Enter();
        using var cts = new CancellationTokenSource();
        var abandoned = pending.SettledAsync(cts.Token);
        cts.Cancel();
        Assert.True(abandoned.IsCanceled);

        var next = pending.SettledAsync(); // a's generation is sealed but not done: still part of "entered before"
        Assert.False(next.IsCompleted);
        PendingRecords.Settled(a);
        await next.WaitAsync(Bound);
    }

    [Fact]
    public async Task SettledAsync_UnderRacingRequests_EndsOnceAllThatEnteredHaveSettled()
    {
        var pending = new PendingRecords();
        var entered = Enumerable.Range(0, 64).Select(_ => pending.Enter()).ToArray();
        var flush = pending.SettledAsync();

        await Task.WhenAll(entered.Select(g => Task.Run(() => PendingRecords.Settled(g))));
        await flush.WaitAsync(Bound);
    }
}
