using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Switchyard.Auth;

namespace Switchyard.Fleet;

/// <summary>
/// Admin changes across the fleet: every change this replica stores (a key revoked, rotated or updated, a team or
/// customer changed) is published on Redis as <c>REPLICA CHANGE</c>; every other replica reads the shared store again
/// and swaps its snapshot in, so a key revoked through replica A is refused by replica B within a round trip and a
/// store read, not at B's next restart. The message names the change only: secrets and hashes stay in the store.
/// Redis pub/sub delivers at most once, so when the subscription reconnects the replica reloads everything it may
/// have missed. Requires a store the replicas share (PostgreSQL; or one SQLite file on one host).
/// </summary>
public sealed partial class GovernanceBroadcast : IDisposable
{
    private readonly RedisLink link;
    private readonly GovernanceDirectory directory;
    private readonly ILogger logger;
    private readonly RedisChannel channel;
    private readonly string replica = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 6));

    private GovernanceBroadcast(RedisLink link, GovernanceDirectory directory, ILogger logger)
    {
        this.link = link;
        this.directory = directory;
        this.logger = logger;
        channel = RedisChannel.Literal("{" + link.Settings.KeyPrefix + "}:governance");
    }

    /// <summary>Raised after a change from another replica was applied here (tests await it instead of sleeping).</summary>
    public event Action<string>? Applied;

    /// <summary>Subscribes and starts publishing this replica's changes.</summary>
    public static async Task<GovernanceBroadcast> StartAsync(RedisLink link, GovernanceDirectory directory, ILogger<GovernanceBroadcast> logger)
    {
        var broadcast = new GovernanceBroadcast(link, directory, logger);
        try
        {
            await link.Multiplexer.GetSubscriber().SubscribeAsync(broadcast.channel, (_, message) => broadcast.Receive(message))
                .WaitAsync(link.Settings.Timeout * 20).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException)
        {
            LogSubscribeLater(logger); // the multiplexer subscribes when it connects; Restored reloads then
        }

        link.Multiplexer.ConnectionRestored += broadcast.OnRestored;
        directory.Changed += broadcast.Publish;
        return broadcast;
    }

    private void Publish(string change)
    {
        // Under the directory's lock: never wait on the network here. A change made while Redis is down reaches the
        // others when their subscription reconnects (they reload everything then).
        if (link.IsShared)
        {
            _ = link.Multiplexer.GetSubscriber().PublishAsync(channel, replica + " " + change, CommandFlags.FireAndForget);
        }
    }

    private void Receive(RedisValue message)
    {
        var text = (string?)message ?? "";
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || text.AsSpan(0, space).SequenceEqual(replica))
        {
            return; // our own change, already applied
        }

        Apply(text[(space + 1)..]);
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            Apply("reconnected");
        }
    }

    private void Apply(string change)
    {
        try
        {
            directory.Reload();
            LogApplied(logger, change);
            Applied?.Invoke(change);
        }
        catch (Exception ex)
        {
            LogReloadFailed(logger, change, ex); // the old snapshot keeps serving; the next change retries
        }
    }

    /// <summary>Stops publishing (the link closes the subscription).</summary>
    public void Dispose()
    {
        directory.Changed -= Publish;
        link.Multiplexer.ConnectionRestored -= OnRestored;
    }

    [LoggerMessage(EventId = 4311, Level = LogLevel.Debug, Message = "Governance change from another replica applied: {Change}")]
    private static partial void LogApplied(ILogger logger, string change);

    [LoggerMessage(EventId = 4312, Level = LogLevel.Warning, Message = "A governance change from another replica ({Change}) could not be read from the store")]
    private static partial void LogReloadFailed(ILogger logger, string change, Exception ex);

    [LoggerMessage(EventId = 4313, Level = LogLevel.Warning,
        Message = "Redis is not reachable yet: admin changes of other replicas will be applied once it is")]
    private static partial void LogSubscribeLater(ILogger logger);
}
