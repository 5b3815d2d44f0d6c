using Microsoft.Extensions.Time.Testing;
using Switchyard.Dispatch;
using Switchyard.Health;

namespace Switchyard.Tests.Routing;

public class DeploymentHealthTests
{
    private static readonly CircuitBreakerSettings Settings = new(FailureRatio: 0.5, MinRequests: 4, Window: TimeSpan.FromSeconds(10),
        BreakFor: TimeSpan.FromSeconds(30), HalfOpenTrials: 1);

    private static (DeploymentHealth Health, FakeTimeProvider Time) Create()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T12:00:00Z"));
        return (new DeploymentHealth("d", time) { Settings = Settings }, time);
    }

    private static void Run(DeploymentHealth h, FailureKind outcome)
    {
        Assert.True(h.TryAcquire());
        h.Complete(outcome, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public void Complete_FailuresBelowMinimumVolume_KeepCircuitClosed()
    {
        var (h, _) = Create();
        Run(h, FailureKind.ServerError);
        Run(h, FailureKind.ServerError);
        Run(h, FailureKind.ServerError);
        Assert.Equal(CircuitState.Closed, h.State);
    }

    [Fact]
    public void Complete_FailureRatioReached_OpensThenHalfOpensThenClosesOnSuccess()
    {
        var (h, time) = Create();
        Run(h, FailureKind.None);
        Run(h, FailureKind.None);
        Run(h, FailureKind.ServerError);
        Run(h, FailureKind.RateLimited); // 2 of 4 = 50%
        Assert.Equal(CircuitState.Open, h.State);
        Assert.False(h.TryAcquire());

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(CircuitState.HalfOpen, h.State);
        Assert.True(h.TryAcquire());
        Assert.False(h.TryAcquire()); // one trial at a time
        h.Complete(FailureKind.None, TimeSpan.FromMilliseconds(50), null);
        Assert.Equal(CircuitState.Closed, h.State);
        Assert.True(h.IsAvailable);
    }

    [Fact]
    public void Complete_TrialFails_ReopensForAnotherBreak()
    {
        var (h, time) = Create();
        h.Force(CircuitState.Open);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(h.TryAcquire());
        h.Complete(FailureKind.Timeout, TimeSpan.FromSeconds(1), null);
        Assert.Equal(CircuitState.Open, h.State);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(CircuitState.Open, h.State);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, h.State);
    }

    [Fact]
    public void Complete_ClientErrorsAndCancellations_DoNotCount()
    {
        var (h, _) = Create();
        for (var i = 0; i < 10; i++)
        {
            Run(h, FailureKind.ClientError);
            Run(h, FailureKind.ClientCancelled);
            Run(h, FailureKind.ContentPolicy);
        }

        Assert.Equal(CircuitState.Closed, h.State);
    }

    [Fact]
    public void Complete_OldFailuresLeaveTheWindow()
    {
        var (h, time) = Create();
        Run(h, FailureKind.ServerError);
        Run(h, FailureKind.ServerError);
        Run(h, FailureKind.ServerError);
        time.Advance(TimeSpan.FromSeconds(11)); // the window is 10 s
        Run(h, FailureKind.None);
        Run(h, FailureKind.ServerError);
        Assert.Equal(CircuitState.Closed, h.State);
        Assert.Equal((2, 1), h.WindowCounts);
    }

    [Fact]
    public void Complete_Successes_FeedLatencyEwmaAndInFlightReturnsToZero()
    {
        var (h, _) = Create();
        Assert.True(double.IsNaN(h.LatencyMs));
        Assert.True(h.TryAcquire());
        Assert.Equal(1, h.InFlight);
        h.Complete(FailureKind.None, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10));
        Assert.True(h.TryAcquire());
        h.Complete(FailureKind.None, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(30));
        Assert.Equal(0, h.InFlight);
        Assert.Equal(120, h.LatencyMs, 6); // 100 + 0.2 * (200 - 100)
        Assert.Equal(14, h.TimeToFirstTokenMs, 6);
    }

    [Fact]
    public void TryTakeRetry_BudgetIsAShareOfRecentTrafficWithAFloor()
    {
        var (h, time) = Create();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(h.TryTakeRetry(0.2, floor: 3)); // the floor lets a quiet deployment retry
        }

        Assert.False(h.TryTakeRetry(0.2, floor: 3));

        for (var i = 0; i < 50; i++)
        {
            Run(h, FailureKind.None);
        }

        // 20% of 50 attempts = 10 retries in the window; 3 are used.
        for (var i = 0; i < 7; i++)
        {
            Assert.True(h.TryTakeRetry(0.2, floor: 3));
        }

        Assert.False(h.TryTakeRetry(0.2, floor: 3));
        time.Advance(TimeSpan.FromSeconds(11)); // the window moved on
        Assert.True(h.TryTakeRetry(0.2, floor: 3));
    }

    [Fact]
    public void Complete_SlowFirstToken_CountsAsFailureWhenConfigured()
    {
        var (h, _) = Create();
        h.Settings = Settings with { SlowTimeToFirstToken = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 4; i++)
        {
            Assert.True(h.TryAcquire());
            h.Complete(FailureKind.None, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3));
        }

        Assert.Equal(CircuitState.Open, h.State);
        Assert.Equal(5000, h.LatencyMs, 6); // still measured
    }

    [Fact]
    public void Headroom_FallsWithRequestsAndTokensAndResetsEachMinute()
    {
        var (h, time) = Create();
        var limits = new DeploymentLimits(Rpm: 4, Tpm: 1000);
        Assert.Equal(1, h.Headroom(limits));
        Run(h, FailureKind.None);
        h.RecordTokens(100);
        Assert.Equal(0.75, h.Headroom(limits), 6); // 1 of 4 requests (tokens: 10%)
        h.RecordTokens(800);
        Assert.Equal(0.1, h.Headroom(limits), 6); // 900 of 1000 tokens
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, h.Headroom(limits));
    }
}
