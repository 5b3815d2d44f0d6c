using Microsoft.Extensions.Time.Testing;
using Switchyard.Governance;

namespace Switchyard.Tests.Governance;

/// <summary>The limit engine on a fake clock: exact counts, refill, all-or-nothing, reservation correction, concurrency, bounded state.</summary>
public sealed class LimitBookTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));

    private static LimitScope Key(LimitSet limits, string name = "key:a") => new(name, limits);

    [Fact]
    public void Rpm100_AdmitsExactly100_ThenOneASecondEvery600ms()
    {
        var book = new LimitBook(clock);
        var scopes = new[] { Key(new LimitSet(Rpm: 100)) };

        var admitted = Enumerable.Range(0, 150).Count(i => book.TryAcquire(scopes, 0, 0, out _) is not null);

        Assert.Equal(100, admitted);
        Assert.Null(book.TryAcquire(scopes, 0, 0, out var refusal));
        Assert.Equal(TimeSpan.FromMilliseconds(600), refusal!.RetryAfter);
        Assert.Equal(("key:a", "requests per minute", 100L), (refusal.Scope, refusal.What, refusal.Limit));

        clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.NotNull(book.TryAcquire(scopes, 0, 0, out _));
        Assert.Null(book.TryAcquire(scopes, 0, 0, out _));
    }

    [Fact]
    public void Tokens_AreReserved_ThenCorrectedToTheRealCount()
    {
        var book = new LimitBook(clock);
        var scopes = new[] { Key(new LimitSet(Tpm: 10_000)) };

        var lease = book.TryAcquire(scopes, 1_000, 4_000, out _)!;
        Assert.Equal(5_000, book.Peek(scopes[0]).Tokens!.Value.Remaining);

        lease.Settle(1_000, 500); // the answer was short: 3,500 reserved tokens come back
        Assert.Equal(8_500, book.Peek(scopes[0]).Tokens!.Value.Remaining);

        lease.Settle(1_000, 9_000); // settling twice changes nothing
        Assert.Equal(8_500, book.Peek(scopes[0]).Tokens!.Value.Remaining);
    }

    [Fact]
    public void AnAnswerLongerThanItsReservation_LeavesADebt()
    {
        var book = new LimitBook(clock);
        var scopes = new[] { Key(new LimitSet(Tpm: 6_000)) };

        book.TryAcquire(scopes, 1_000, 1_000, out _)!.Settle(1_000, 8_000);

        Assert.Equal(0, book.Peek(scopes[0]).Tokens!.Value.Remaining);
        Assert.Null(book.TryAcquire(scopes, 10, 10, out var refusal));
        Assert.Equal(TimeSpan.FromMilliseconds(30_200), refusal!.RetryAfter); // 3,000 debt + 20 asked, at 100 tokens/s
    }

    [Fact]
    public void ARequestLargerThanTheLimit_IsRefused_WithoutRetryAfter()
    {
        var book = new LimitBook(clock);

        Assert.Null(book.TryAcquire([Key(new LimitSet(Tpm: 1_000))], 900, 200, out var refusal));
        Assert.Null(refusal!.RetryAfter);
        Assert.Equal(1_100, refusal.Requested);
    }

    [Fact]
    public void ARefusalByOneScope_GivesBackWhatOthersTook()
    {
        var book = new LimitBook(clock);
        var key = Key(new LimitSet(Rpm: 10, Tpm: 1_000));
        var team = Key(new LimitSet(Rpm: 1), "team:t");
        Assert.NotNull(book.TryAcquire([key, team], 100, 100, out _));

        Assert.Null(book.TryAcquire([key, team], 100, 100, out var refusal));

        Assert.Equal("team:t", refusal!.Scope);
        var state = book.Peek(key);
        Assert.Equal(9, state.Requests!.Value.Remaining);
        Assert.Equal(800, state.Tokens!.Value.Remaining);
    }

    [Fact]
    public void Concurrency_IsHeldUntilSettled()
    {
        var book = new LimitBook(clock);
        var scopes = new[] { Key(new LimitSet(Concurrency: 2)) };
        var first = book.TryAcquire(scopes, 0, 0, out _)!;
        var second = book.TryAcquire(scopes, 0, 0, out _)!;

        Assert.Null(book.TryAcquire(scopes, 0, 0, out var refusal));
        Assert.Equal("concurrent requests", refusal!.What);

        first.Settle(0, 0);
        Assert.NotNull(book.TryAcquire(scopes, 0, 0, out _));
        second.Settle(0, 0);
    }

    [Fact]
    public void TheResetHeaderValue_IsTheTimeUntilTheBucketIsFull()
    {
        var book = new LimitBook(clock);
        var scope = Key(new LimitSet(Rpm: 60));
        for (var i = 0; i < 6; i++)
        {
            book.TryAcquire([scope], 0, 0, out _);
        }

        var requests = book.Peek(scope).Requests!.Value;

        Assert.Equal((60L, 54L, TimeSpan.FromSeconds(6)), (requests.Limit, requests.Remaining, requests.Reset));
    }

    [Fact]
    public void FullBuckets_AreSwept_SoPerCustomerScopesStayBounded()
    {
        var book = new LimitBook(clock);
        for (var i = 0; i < LimitBook.SweepAbove; i++)
        {
            book.TryAcquire([Key(new LimitSet(Rpm: 10), $"customer:t/{i}")], 0, 0, out _);
        }

        clock.Advance(TimeSpan.FromMinutes(1)); // every bucket refills: none holds state any more
        book.TryAcquire([Key(new LimitSet(Rpm: 10), "customer:t/new")], 0, 0, out _);

        Assert.Equal(1, book.BucketCount);
    }

    [Theory]
    [InlineData(null, null, 15, 1024)]   // no token limit: the default guess
    [InlineData(1000L, null, 15, 985)]   // a small TPM: the guess shrinks to what the prompt leaves
    [InlineData(1000L, 200L, 15, 200)]   // an output TPM caps it too
    [InlineData(100L, null, 150, 0)]     // a prompt over the limit: nothing guessed, the prompt alone decides
    public void TheOutputGuess_NeverMakesARequestTooLargeByItself(long? tpm, long? outputTpm, int prompt, int expected)
    {
        var scopes = new List<LimitScope> { Key(new LimitSet(Tpm: tpm, OutputTpm: outputTpm)), Key(new LimitSet(Rpm: 5), "team:t") };

        Assert.Equal(expected, LimitStage.OutputGuess(scopes, prompt));
    }
}
