using System.Runtime.CompilerServices;

namespace Switchyard.WebConsole;

/// <summary>
/// When each configuration snapshot was loaded, on the gateway's clock: told by the composition root at start and at
/// every accepted reload, read by the console's Config view. Weak: a snapshot that is no longer served is forgotten.
/// </summary>
public sealed class ConfigLoads(TimeProvider time)
{
    private readonly ConditionalWeakTable<GatewayConfig, StrongBox<DateTimeOffset>> loads = new();

    /// <summary>Notes that <paramref name="config"/> was loaded now.</summary>
    public void Loaded(GatewayConfig config) => loads.AddOrUpdate(config, new StrongBox<DateTimeOffset>(time.GetUtcNow()));

    /// <summary>When <paramref name="config"/> was loaded; null if nobody said.</summary>
    public DateTimeOffset? LoadedAt(GatewayConfig config) => loads.TryGetValue(config, out var at) ? at.Value : null;
}
