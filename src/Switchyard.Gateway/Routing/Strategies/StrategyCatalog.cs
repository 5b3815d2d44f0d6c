using System.Collections.Frozen;

namespace Switchyard.Routing.Strategies;

/// <summary>
/// The routing strategies by name: what <c>routing:</c> is validated against when config loads, and what the
/// planner resolves an alias's strategy from (once per alias per configuration, never per request).
/// Adding a strategy is one class in this folder implementing <see cref="IRoutingStrategy"/> and one line in
/// <see cref="BuiltIn"/>; config, route explain and the planner pick it up by its <see cref="IRoutingStrategy.Name"/>.
/// </summary>
public sealed class StrategyCatalog
{
    /// <summary>
    /// Every built-in strategy, one line each, in the order error messages list them. The first is the default,
    /// used by an alias without <c>routing:</c>. Shared and immutable: strategies keep no state of their own.
    /// </summary>
    public static StrategyCatalog BuiltIn { get; } = new(
    [
        new WeightedStrategy(),
        new RoundRobinStrategy(),
        new LeastBusyStrategy(),
        new LowestLatencyStrategy(),
        new LowestCostStrategy(),
        new UsageHeadroomStrategy(),
    ]);

    private readonly IRoutingStrategy[] strategies;
    private readonly FrozenDictionary<string, IRoutingStrategy> byName;

    /// <summary>A catalog of <paramref name="strategies"/>; the first is the default. Names must be unique and non-empty.</summary>
    public StrategyCatalog(IReadOnlyList<IRoutingStrategy> strategies)
    {
        if (strategies.Count == 0)
        {
            throw new ArgumentException("a strategy catalog needs at least one strategy (the first is the default)", nameof(strategies));
        }

        var byName = new Dictionary<string, IRoutingStrategy>(StringComparer.Ordinal);
        foreach (var s in strategies)
        {
            if (string.IsNullOrWhiteSpace(s.Name))
            {
                throw new ArgumentException($"{s.GetType().Name} has no name; config refers to strategies by name", nameof(strategies));
            }

            if (!byName.TryAdd(s.Name, s))
            {
                throw new ArgumentException($"two strategies are named '{s.Name}'; config could not tell them apart", nameof(strategies));
            }
        }

        this.strategies = [.. strategies];
        this.byName = byName.ToFrozenDictionary(StringComparer.Ordinal);
        Names = [.. strategies.Select(s => s.Name)];
    }

    /// <summary>The strategy of an alias without <c>routing:</c> (the first listed).</summary>
    public IRoutingStrategy Default => strategies[0];

    /// <summary>Every name, in catalog order (the order "valid: ..." lists them in).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The strategy named <paramref name="name"/>, or null when there is none.</summary>
    public IRoutingStrategy? Find(string name) => byName.GetValueOrDefault(name);

    /// <summary>
    /// The strategy an alias configured with <paramref name="name"/> uses: <see cref="Default"/> for null. An
    /// unknown name throws: config is validated at load, so one here is a program error (a catalog lacking a
    /// name the binder accepted), not user input.
    /// </summary>
    public IRoutingStrategy Resolve(string? name) =>
        name is null ? Default
        : Find(name) ?? throw new InvalidOperationException(
            $"no routing strategy named '{name}' in this catalog (it has: {string.Join(", ", Names)})");

    /// <summary>A new catalog with <paramref name="strategy"/> added last (hosts and tests adding their own).</summary>
    public StrategyCatalog With(IRoutingStrategy strategy) => new([.. strategies, strategy]);
}
