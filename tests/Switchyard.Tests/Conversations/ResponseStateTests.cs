using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Configuration;
using Switchyard.Conversations;

namespace Switchyard.Tests.Conversations;

/// <summary>
/// The write side of the response state with a scripted store: answers never wait for the store, a reference that
/// arrives before the write finds it anyway, and what could not be kept says why.
/// </summary>
public sealed class ResponseStateTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Read_BeforeTheWriteLands_WaitsForIt()
    {
        var store = new ScriptedStore { WriteGate = new TaskCompletionSource() };
        await using var state = State(store);

        state.Answered(Turn("resp_1", "app"), Answer("resp_1"));
        var read = state.ResponseAsync("app", "resp_1").AsTask();
        await Task.Delay(50);
        Assert.False(read.IsCompleted); // the write has not landed: the read waits instead of answering "not found"

        store.WriteGate.SetResult();
        var found = await read.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(StateOutcome.Found, found.Outcome);
    }

    [Fact]
    public async Task Answered_OverMaxSize_IsNotKept_AndALaterReferenceSaysWhy()
    {
        var store = new ScriptedStore();
        await using var state = State(store, new ResponsesSettings(true, TimeSpan.FromDays(30), MaxSize: 100));

        state.Answered(Turn("resp_big", "app"), Answer("resp_big", new string('x', 200)));
        await state.FlushAsync();

        Assert.Empty(store.Written);
        var lookup = await state.ResponseAsync("app", "resp_big");
        Assert.Equal(StateOutcome.NotKept, lookup.Outcome);
        Assert.Contains("responses.max_size (100 bytes)", lookup.Detail, StringComparison.Ordinal);
        Assert.Equal(StateOutcome.NotFound, (await state.ResponseAsync("ops", "resp_big")).Outcome); // another key learns nothing
    }

    [Fact]
    public async Task StoreFailures_AnswerStillCounted_ReadsAreUnavailable_NothingThrows()
    {
        var store = new ScriptedStore { Fail = true };
        await using var state = State(store);

        state.Answered(Turn("resp_1", "app"), Answer("resp_1")); // never throws on the request's thread
        await state.FlushAsync();

        var lookup = await state.ConversationAsync("app", "resp_1");
        Assert.Equal(StateOutcome.Unavailable, lookup.Outcome);
        store.Fail = false;
        lookup = await state.ConversationAsync("app", "resp_1");
        Assert.Equal(StateOutcome.NotKept, lookup.Outcome);
        Assert.Contains("could not write it", lookup.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_RunsOnTheClock_WithTheLiveRetention()
    {
        var store = new ScriptedStore();
        await using var state = State(store, new ResponsesSettings(true, TimeSpan.FromHours(1), 1 << 20));
        var start = time.GetUtcNow();
        await WaitUntil(() => Purges(store) == 1); // once at start, with the live retention (1 h)
        Assert.Equal((start - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds(), store.PurgedBefore[0]);

        // Then once per interval of the gateway's clock (advanced until the loop, which may still be arming its
        // timer, sees a full interval go by).
        await WaitUntil(() =>
        {
            time.Advance(ResponseState.PurgeInterval);
            return Purges(store) >= 2;
        });
        Assert.True(store.PurgedBefore[1] - store.PurgedBefore[0] >= (long)ResponseState.PurgeInterval.TotalMilliseconds);
    }

    private ResponseState State(ScriptedStore store, ResponsesSettings? settings = null)
    {
        var config = EnvironmentDefaults.Build(_ => null) with { Responses = settings ?? ResponsesSettings.Default };
        var router = new RouterState(RouteTable.Build(config, new KeyPoolRegistry(time)));
        return new ResponseState(store, router, time, NullLogger<ResponseState>.Instance);
    }

    private static int Purges(ScriptedStore store)
    {
        lock (store.PurgedBefore)
        {
            return store.PurgedBefore.Count;
        }
    }

    private static ConversationTurn Turn(string id, string owner) => new(id, owner, store: true);

    private static StoredAnswer Answer(string id, string text = "hi") =>
        new("completed", $"{{\"id\":\"{id}\",\"text\":\"{text}\"}}", [new StoredItem("msg_" + id, "{\"id\":\"msg\"}")]);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(5);
        }
    }

    /// <summary>An in-memory store whose writes can be held back or made to fail.</summary>
    private sealed class ScriptedStore : IResponseStore
    {
        public List<StoredResponse> Written { get; } = [];

        public List<long> PurgedBefore { get; } = [];

        public TaskCompletionSource? WriteGate { get; init; }

        public volatile bool Fail;

        public void Write(StoredResponse response)
        {
            WriteGate?.Task.Wait(TimeSpan.FromSeconds(10));
            Check();
            lock (Written)
            {
                Written.Add(response);
            }
        }

        public IReadOnlyList<StoredItem>? Conversation(string owner, string responseId, long notBeforeMs) =>
            Find(owner, responseId) is { } r ? [.. r.Input, .. r.Output] : null;

        public StoredItem? Item(string owner, string itemId, long notBeforeMs) => null;

        public string? Response(string owner, string responseId, long notBeforeMs) => Find(owner, responseId)?.Json;

        public ItemPage? InputItems(string owner, string responseId, long notBeforeMs, in ItemPageQuery query) => null;

        public bool Delete(string owner, string responseId, long notBeforeMs) => false;

        public int Purge(long notBeforeMs)
        {
            lock (PurgedBefore)
            {
                PurgedBefore.Add(notBeforeMs);
            }

            return 0;
        }

        public void Dispose()
        {
        }

        private StoredResponse? Find(string owner, string id)
        {
            Check();
            lock (Written)
            {
                return Written.FirstOrDefault(r => r.Owner == owner && r.Id == id);
            }
        }

        private void Check()
        {
            if (Fail)
            {
                throw new InvalidOperationException("disk on fire");
            }
        }
    }
}
