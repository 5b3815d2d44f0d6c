using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Switchyard.Health;

namespace Switchyard.Fleet;

/// <summary>
/// Circuit-breaker openings across the fleet: when this replica's traffic opens a deployment's circuit, it publishes
/// <c>REPLICA UNTIL_MS DEPLOYMENT</c> on <c>{p}:breaker</c>; every other replica opens its own circuit for that
/// deployment until the same instant (<see cref="DeploymentHealth.OpenFromFleet"/>), so one replica's discovery spares
/// the others' users the failures it took to find out. Routing never waits on Redis: it reads the local
/// <see cref="HealthRegistry"/>, which the message updates in the background; a lost message (pub/sub is at most once,
/// or Redis is away) only means that replica learns from its own traffic, as without a fleet. The open-until instant
/// is wall-clock time, so replicas' clocks must agree to well under a break (NTP: milliseconds).
/// </summary>
public sealed partial class BreakerBroadcast : IDisposable
{
    private readonly RedisLink link;
    private readonly HealthRegistry health;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly RedisChannel channel;
    private readonly string replica = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 6));

    private BreakerBroadcast(RedisLink link, HealthRegistry health, TimeProvider time, ILogger logger)
    {
        this.link = link;
        this.health = health;
        this.time = time;
        this.logger = logger;
        channel = RedisChannel.Literal("{" + link.Settings.KeyPrefix + "}:breaker");
    }

    /// <summary>Raised after another replica's opening was applied here (tests await it instead of sleeping).</summary>
    public event Action<string>? Applied;

    /// <summary>Subscribes and starts publishing this replica's openings.</summary>
    public static async Task<BreakerBroadcast> StartAsync(RedisLink link, HealthRegistry health, TimeProvider time, ILogger<BreakerBroadcast> logger)
    {
        var broadcast = new BreakerBroadcast(link, health, time, logger);
        try
        {
            await link.Multiplexer.GetSubscriber().SubscribeAsync(broadcast.channel, (_, message) => broadcast.Receive(message))
                .WaitAsync(link.Settings.Timeout * 20).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException)
        {
            // The multiplexer subscribes when it connects; openings published meanwhile are missed (each replica then
            // learns from its own traffic).
        }

        health.Opened += broadcast.Publish;
        return broadcast;
    }

    private void Publish(string deployment, TimeSpan breakFor)
    {
        if (link.IsShared)
        {
            var until = (time.GetUtcNow() + breakFor).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            _ = link.Multiplexer.GetSubscriber().PublishAsync(channel, $"{replica} {until} {deployment}", CommandFlags.FireAndForget);
        }
    }

    private void Receive(RedisValue message)
    {
        var parts = ((string?)message ?? "").Split(' ', 3);
        if (parts.Length != 3 || parts[0] == replica || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var until))
        {
            return; // our own opening, or not a message of ours
        }

        var remaining = DateTimeOffset.FromUnixTimeMilliseconds(until) - time.GetUtcNow();
        health.For(parts[2]).OpenFromFleet(remaining);
        LogApplied(logger, parts[2], remaining.TotalSeconds);
        Applied?.Invoke(parts[2]);
    }

    /// <summary>Stops publishing (the link closes the subscription).</summary>
    public void Dispose() => health.Opened -= Publish;

    [LoggerMessage(EventId = 4321, Level = LogLevel.Information,
        Message = "Another replica opened the circuit of deployment {Deployment}: open here too for {Seconds:F1} s")]
    private static partial void LogApplied(ILogger logger, string deployment, double seconds);
}
