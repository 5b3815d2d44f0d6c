using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchyard.Auth;
using Switchyard.Fleet;
using Switchyard.Governance;
using Switchyard.Health;

namespace Switchyard.Hosting;

/// <summary>
/// Composition of the fleet's shared state (docs/adr/0013-redis-counters.md): without <c>redis:</c> the limits are
/// this replica's <see cref="LimitBook"/>; with it they are <see cref="SharedLimitCounters"/> on one
/// <see cref="RedisLink"/>, whose permits <see cref="LeaseRenewal"/> renews; budgets are this replica's
/// <see cref="BudgetLedger"/> or <see cref="SharedBudgetCounters"/>; admin changes are broadcast by
/// <see cref="GovernanceBroadcast"/>, circuit openings by <see cref="BreakerBroadcast"/>.
/// </summary>
internal static class FleetServices
{
    /// <summary>Registers the limit counters the pipeline's <see cref="LimitStage"/> takes.</summary>
    public static void Add(IServiceCollection services, GatewayConfig config, TimeProvider time)
    {
        if (config.Redis is not { } redis)
        {
            services.AddSingleton<ILimitCounters>(sp => sp.GetRequiredService<LimitBook>());
            services.AddSingleton<IBudgetCounters>(sp => sp.GetRequiredService<BudgetLedger>());
            return;
        }

        services.AddSingleton(sp => RedisLink.Connect(redis, time, sp.GetRequiredService<ILogger<RedisLink>>()));
        services.AddSingleton(sp => new SharedLimitCounters(sp.GetRequiredService<RedisLink>(), sp.GetRequiredService<LimitBook>(), time));
        services.AddSingleton<ILimitCounters>(sp => sp.GetRequiredService<SharedLimitCounters>());
        services.AddSingleton(sp => new SharedBudgetCounters(sp.GetRequiredService<RedisLink>(), sp.GetRequiredService<ISpendSource>(), time));
        services.AddSingleton<IBudgetCounters>(sp => sp.GetRequiredService<SharedBudgetCounters>());
        services.AddSingleton(sp => new LeaseRenewal(sp.GetRequiredService<SharedLimitCounters>(), redis, time));
        services.AddSingleton(sp => GovernanceBroadcast.StartAsync(sp.GetRequiredService<RedisLink>(),
            sp.GetRequiredService<GovernanceDirectory>(), sp.GetRequiredService<ILogger<GovernanceBroadcast>>()).GetAwaiter().GetResult());
        services.AddSingleton(sp => BreakerBroadcast.StartAsync(sp.GetRequiredService<RedisLink>(), sp.GetRequiredService<HealthRegistry>(),
            time, sp.GetRequiredService<ILogger<BreakerBroadcast>>()).GetAwaiter().GetResult());
    }

    /// <summary>
    /// The exact cache's store: in this process by default; in Redis, on the fleet's <see cref="RedisLink"/>, under
    /// <c>cache.store: redis</c> (the binder has checked that <c>redis:</c> is there). Read at start only.
    /// </summary>
    public static void AddResponseCache(IServiceCollection services, GatewayConfig config, TimeProvider time)
    {
        if (config.Cache.Store == CacheStore.Redis && config.Redis is not null)
        {
            services.AddSingleton<IResponseCache>(sp => new RedisResponseCache(sp.GetRequiredService<RedisLink>()));
            return;
        }

        services.AddSingleton<IResponseCache>(new Cache.MemoryResponseCache(time));
    }

    /// <summary>Connects and subscribes before the first request, so a replica starts on shared counters when Redis is there.</summary>
    public static void Start(IServiceProvider services)
    {
        if (services.GetService<RedisLink>() is not null)
        {
            _ = services.GetRequiredService<LeaseRenewal>();
            _ = services.GetRequiredService<GovernanceBroadcast>();
            _ = services.GetRequiredService<BreakerBroadcast>();
        }
    }
}
