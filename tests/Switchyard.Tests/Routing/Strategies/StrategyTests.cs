using Switchyard.Routing.Strategies;

namespace Switchyard.Tests.Routing.Strategies;

/// <summary>
/// Each built-in strategy called directly on one tier, with hand-set signals. What the planner does around
/// them (tiers, exclusions, fallbacks) is in <c>PlannerStrategyTests</c> and <c>PlannerTests</c>.
/// </summary>
public class StrategyTests
{
    private const int Runs = 30_000;

    [Fact]
    public void Weighted_Order_LeadsInProportionToWeight()
    {
        var route = StrategyFixture.Table("""
              m:
                deployments:
                  - { deployment: a, weight: 1 }
                  - { deployment: b, weight: 2 }
                  - { deployment: c, weight: 7 }
            """).Aliases["m"];
        var leads = LeadShares(new WeightedStrategy(), route, new Random(11));

        // ±2 points is > 6 standard deviations for p = 0.7 at n = 30,000.
        Assert.InRange(leads["a"], 0.08, 0.12);
        Assert.InRange(leads["b"], 0.18, 0.22);
        Assert.InRange(leads["c"], 0.68, 0.72);
    }

    [Fact]
    public void Weighted_Order_SecondPickFollowsTheWeightsLeft()
    {
        // With c (weight 2) leading, a and b (weight 1 each) are equally likely second.
        var route = StrategyFixture.Table("""
              m:
                deployments:
                  - { deployment: a, weight: 1 }
                  - { deployment: b, weight: 1 }
                  - { deployment: c, weight: 2 }
            """).Aliases["m"];
        var random = new Random(12);
        int cFirst = 0, aSecond = 0;
        for (var i = 0; i < Runs; i++)
        {
            var order = StrategyFixture.Order(new WeightedStrategy(), route, random);
            Assert.Equal(["a", "b", "c"], order.Order());
            if (order[0] == "c")
            {
                cFirst++;
                aSecond += order[1] == "a" ? 1 : 0;
            }
        }

        Assert.InRange(aSecond / (double)cFirst, 0.47, 0.53);
    }

    [Fact]
    public void RoundRobin_Peek_ShowsTheNextTurnWithoutTakingIt()
    {
        var route = StrategyFixture.Table("  m: { deployments: [a, b, c], routing: round_robin }").Aliases["m"];
        var strategy = new RoundRobinStrategy();
        var random = new Random(1);

        Assert.Equal(["a", "b", "c"], StrategyFixture.Order(strategy, route, random, peek: true));
        Assert.Equal(["a", "b", "c"], StrategyFixture.Order(strategy, route, random, peek: true));
        Assert.Equal(["a", "b", "c"], StrategyFixture.Order(strategy, route, random));
        Assert.Equal(["b", "c", "a"], StrategyFixture.Order(strategy, route, random, peek: true));
        Assert.Equal(["b", "c", "a"], StrategyFixture.Order(strategy, route, random));
        Assert.Equal(["c", "a", "b"], StrategyFixture.Order(strategy, route, random));
    }

    [Fact]
    public void LeastBusy_Order_IdleTiesSpreadByWeight()
    {
        var route = StrategyFixture.Table("""
              m:
                routing: least_busy
                deployments:
                  - { deployment: a, weight: 1 }
                  - { deployment: b, weight: 3 }
            """).Aliases["m"];
        var leads = LeadShares(new LeastBusyStrategy(), route, new Random(13));
        Assert.InRange(leads["b"], 0.73, 0.77);
    }

    [Fact]
    public void LeastBusy_Order_FewestInFlightFirst()
    {
        var route = StrategyFixture.Table("  m: { deployments: [a, b, c, d], routing: least_busy }").Aliases["m"];
        var signals = new FakeSignals { InFlightOf = { ["a"] = 5, ["b"] = 2, ["c"] = 9, ["d"] = 0 } };
        Assert.Equal(["d", "b", "a", "c"], StrategyFixture.Order(new LeastBusyStrategy(), route, new Random(1), signals));
    }

    [Fact]
    public void LowestLatency_Order_AnUnmeasuredDeploymentLeadsSoItGetsExplored()
    {
        var route = StrategyFixture.Table("  m: { deployments: [a, b], routing: lowest_latency }").Aliases["m"];
        var signals = new FakeSignals { LatencyOf = { ["a"] = 20 } }; // b has never answered
        var random = new Random(14);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(["b", "a"], StrategyFixture.Order(new LowestLatencyStrategy(), route, random, signals));
        }
    }

    [Fact]
    public void LowestLatency_Order_TwoChoicesNotTheSingleFastest()
    {
        // The fastest leads only when it is one of the two random picks: 2/3 of the time among three equal
        // weights. Always leading would stampede it; the alternates still follow fastest first.
        var route = StrategyFixture.Table("  m: { deployments: [a, b, c], routing: lowest_latency }").Aliases["m"];
        var signals = new FakeSignals { LatencyOf = { ["a"] = 10, ["b"] = 100, ["c"] = 200 } };
        var random = new Random(15);
        var aLeads = 0;
        for (var i = 0; i < Runs; i++)
        {
            var order = StrategyFixture.Order(new LowestLatencyStrategy(), route, random, signals);
            aLeads += order[0] == "a" ? 1 : 0;
            Assert.NotEqual("c", order[0]); // the slowest loses to whichever deployment is picked with it
            Assert.True(signals.LatencyOf[order[1]] <= signals.LatencyOf[order[2]], string.Join(",", order));
        }

        Assert.InRange(aLeads / (double)Runs, 0.65, 0.685); // 2/3 ± 5 standard deviations
    }

    [Fact]
    public void LowestCost_Order_EqualPricesSpreadByWeight()
    {
        var route = StrategyFixture.Table(
            """
              m:
                routing: lowest_cost
                deployments:
                  - { deployment: twin1, weight: 1 }
                  - { deployment: twin2, weight: 1 }
                  - { deployment: dear }
            """,
            """
              twin1: { provider: p, model: t1, price: { input: 1, output: 2 } }
              twin2: { provider: p, model: t2, price: { input: 2, output: 1 } }
              dear: { provider: p, model: x, price: { input: 10, output: 30 } }

            """).Aliases["m"];
        var leads = LeadShares(new LowestCostStrategy(), route, new Random(16));
        Assert.False(leads.ContainsKey("dear"));
        Assert.InRange(leads["twin1"], 0.47, 0.53);
    }

    [Fact]
    public void UsageHeadroom_Order_MostHeadroomFirst()
    {
        var route = StrategyFixture.Table("  m: { deployments: [a, b, c, d], routing: usage_headroom }").Aliases["m"];
        var signals = new FakeSignals { HeadroomOf = { ["a"] = 0.2, ["b"] = 0.9, ["c"] = 0.5 } }; // d: no limits (1)
        Assert.Equal(["d", "b", "c", "a"], StrategyFixture.Order(new UsageHeadroomStrategy(), route, new Random(1), signals));
    }

    [Fact]
    public void SortBy_EqualKeys_KeepTheirOrderBothWays()
    {
        Span<int> tier = [10, 11, 12, 13, 14];
        Span<int> keys = [2, 1, 2, 1, 3];
        TierOrder.SortBy(tier, keys);
        Assert.Equal([11, 13, 10, 12, 14], tier.ToArray());

        Span<int> tier2 = [10, 11, 12, 13, 14];
        Span<int> keys2 = [2, 1, 2, 1, 3];
        TierOrder.SortBy(tier2, keys2, descending: true);
        Assert.Equal([14, 10, 12, 11, 13], tier2.ToArray());
    }

    /// <summary>How often each deployment leads over <see cref="Runs"/> orderings.</summary>
    private static Dictionary<string, double> LeadShares(IRoutingStrategy strategy, AliasRoute route, Random random)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < Runs; i++)
        {
            var lead = StrategyFixture.Order(strategy, route, random)[0];
            counts[lead] = counts.GetValueOrDefault(lead) + 1;
        }

        return counts.ToDictionary(kv => kv.Key, kv => kv.Value / (double)Runs);
    }
}
