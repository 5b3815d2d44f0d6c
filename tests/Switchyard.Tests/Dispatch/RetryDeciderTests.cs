using System.Collections.Frozen;
using Switchyard.Configuration;
using Switchyard.Dispatch;

namespace Switchyard.Tests.Dispatch;

public class RetryDeciderTests
{
    private static readonly FallbackPolicy Policy = FallbackPolicy.Default with
    {
        MaxAttempts = 4,
        MaxRetries = 2,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(5),
    };

    private static FailureFacts Facts(FailureKind kind, int retries = 0, int attempts = 1, bool next = true,
        TimeSpan? retryAfter = null, double remainingSeconds = 60) =>
        new(kind, retries, attempts, next, retryAfter, TimeSpan.FromSeconds(remainingSeconds));

    [Theory]
    [InlineData(FailureKind.ServerError)]
    [InlineData(FailureKind.RateLimited)]
    [InlineData(FailureKind.Connection)]
    [InlineData(FailureKind.Timeout)]
    [InlineData(FailureKind.Transient)]
    public void Decide_TransientFirstFailure_RetriesSameDeployment(FailureKind kind) =>
        Assert.Equal(NextMove.Retry, RetryDecider.Decide(Policy, Facts(kind), 0.5).Move);

    [Fact]
    public void Decide_ClientError_StopsWithoutRetry() =>
        Assert.Equal(NextMove.Stop, RetryDecider.Decide(Policy, Facts(FailureKind.ClientError), 0.5).Move);

    [Fact]
    public void Decide_RetriesExhausted_Switches() =>
        Assert.Equal(NextMove.Switch, RetryDecider.Decide(Policy, Facts(FailureKind.ServerError, retries: 2), 0.5).Move);

    [Fact]
    public void Decide_RetriesExhaustedAndNoNextStep_Stops() =>
        Assert.Equal(NextMove.Stop, RetryDecider.Decide(Policy, Facts(FailureKind.ServerError, retries: 2, next: false), 0.5).Move);

    [Fact]
    public void Decide_MaxAttemptsReached_Stops() =>
        Assert.Equal(NextMove.Stop, RetryDecider.Decide(Policy, Facts(FailureKind.ServerError, attempts: 4), 0.5).Move);

    [Fact]
    public void Decide_AuthFailure_SwitchesWithoutRetry() =>
        Assert.Equal(NextMove.Switch, RetryDecider.Decide(Policy, Facts(FailureKind.Auth), 0.5).Move);

    [Fact]
    public void Decide_ConfiguredSwitchOnRateLimit_SwitchesAtOnce()
    {
        var policy = Policy with
        {
            Actions = new Dictionary<FailureKind, FallbackAction> { [FailureKind.RateLimited] = FallbackAction.Switch }.ToFrozenDictionary(),
        };
        Assert.Equal(NextMove.Switch, RetryDecider.Decide(policy, Facts(FailureKind.RateLimited), 0.5).Move);
        Assert.Equal(NextMove.Retry, RetryDecider.Decide(policy, Facts(FailureKind.ServerError), 0.5).Move); // others keep defaults
    }

    [Fact]
    public void Decide_ConfiguredFail_Stops()
    {
        var policy = Policy with
        {
            Actions = new Dictionary<FailureKind, FallbackAction> { [FailureKind.ServerError] = FallbackAction.Fail }.ToFrozenDictionary(),
        };
        Assert.Equal(NextMove.Stop, RetryDecider.Decide(policy, Facts(FailureKind.ServerError), 0.5).Move);
    }

    [Fact]
    public void Decide_RetryAfterWithinLimits_WaitsAtLeastThatLong()
    {
        var d = RetryDecider.Decide(Policy, Facts(FailureKind.RateLimited, retryAfter: TimeSpan.FromSeconds(2)), 0.0);
        Assert.Equal(NextMove.Retry, d.Move);
        Assert.Equal(TimeSpan.FromSeconds(2), d.Delay);
    }

    [Fact]
    public void Decide_RetryAfterBeyondDeadline_SwitchesInstead()
    {
        var d = RetryDecider.Decide(Policy, Facts(FailureKind.RateLimited, retryAfter: TimeSpan.FromSeconds(3), remainingSeconds: 2), 0.0);
        Assert.Equal(NextMove.Switch, d.Move);
    }

    [Fact]
    public void Decide_RetryAfterBeyondMaxDelay_SwitchesInstead()
    {
        var d = RetryDecider.Decide(Policy, Facts(FailureKind.RateLimited, retryAfter: TimeSpan.FromSeconds(30)), 0.0);
        Assert.Equal(NextMove.Switch, d.Move);
    }

    [Fact]
    public void Decide_RetryAfterBeyondDeadlineAndNoNextStep_Stops()
    {
        var d = RetryDecider.Decide(Policy, Facts(FailureKind.RateLimited, retryAfter: TimeSpan.FromSeconds(3), next: false, remainingSeconds: 2), 0.0);
        Assert.Equal(NextMove.Stop, d.Move);
    }

    [Fact]
    public void Decide_ClientCancelled_NeverRetries() =>
        Assert.Equal(NextMove.Stop, RetryDecider.Decide(Policy, Facts(FailureKind.ClientCancelled), 0.5).Move);

    [Theory]
    [InlineData(0, 1.0, 100)]
    [InlineData(1, 1.0, 200)]
    [InlineData(2, 1.0, 400)]
    [InlineData(2, 0.5, 200)]
    [InlineData(10, 1.0, 5000)] // capped by MaxDelay
    [InlineData(3, 0.0, 0)]
    public void Backoff_IsExponentialWithFullJitterAndCapped(int retry, double jitter, double expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), RetryDecider.Backoff(Policy, retry, jitter));

    [Theory]
    [InlineData(200, FailureKind.None)]
    [InlineData(400, FailureKind.ClientError)]
    [InlineData(404, FailureKind.ClientError)]
    [InlineData(422, FailureKind.ClientError)]
    [InlineData(401, FailureKind.Auth)]
    [InlineData(403, FailureKind.Auth)]
    [InlineData(408, FailureKind.Transient)]
    [InlineData(409, FailureKind.Transient)]
    [InlineData(429, FailureKind.RateLimited)]
    [InlineData(500, FailureKind.ServerError)]
    [InlineData(503, FailureKind.ServerError)]
    public void FromStatus_ClassifiesHttpStatus(int status, FailureKind expected) =>
        Assert.Equal(expected, FailureClassifier.FromStatus(status));

    [Fact]
    public void FromException_DistinguishesTimeoutCancelAndConnection()
    {
        var ex = new HttpRequestException(HttpRequestError.ConnectionError, "refused");
        Assert.Equal(FailureKind.Connection, FailureClassifier.FromException(ex, timedOut: false, clientGone: false));
        Assert.Equal(FailureKind.Timeout, FailureClassifier.FromException(new TaskCanceledException(), timedOut: true, clientGone: false));
        Assert.Equal(FailureKind.ClientCancelled, FailureClassifier.FromException(new TaskCanceledException(), timedOut: false, clientGone: true));
        Assert.Equal(FailureKind.StreamCut, FailureClassifier.FromException(new IOException("reset"), false, false));
    }
}
