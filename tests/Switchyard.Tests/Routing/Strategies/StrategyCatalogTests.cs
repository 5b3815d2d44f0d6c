using Switchyard.Configuration;
using Switchyard.Endpoints;
using Switchyard.Health;
using Switchyard.Routing;
using Switchyard.Routing.Strategies;

namespace Switchyard.Tests.Routing.Strategies;

/// <summary>
/// The catalog: names validated at load, resolved once per alias, and open to a strategy written outside the
/// gateway (<see cref="PickLastStrategy"/>: one class, one <see cref="StrategyCatalog.With"/>).
/// </summary>
public class StrategyCatalogTests
{
    [Fact]
    public void BuiltIn_ListsEveryStrategyOnce_WeightedFirstAsTheDefault()
    {
        Assert.Equal(["weighted", "round_robin", "least_busy", "lowest_latency", "lowest_cost", "usage_headroom"], StrategyCatalog.BuiltIn.Names);
        Assert.Equal("weighted", StrategyCatalog.BuiltIn.Default.Name);
        Assert.Same(StrategyCatalog.BuiltIn.Default, StrategyCatalog.BuiltIn.Resolve(null));
    }

    [Theory]
    [InlineData("weighted")]
    [InlineData("round_robin")]
    [InlineData("least_busy")]
    [InlineData("lowest_latency")]
    [InlineData("lowest_cost")]
    [InlineData("usage_headroom")]
    public void LoadYaml_CatalogName_IsAcceptedAndPlannedWithThatStrategy(string name)
    {
        var route = StrategyFixture.Table($"  m: {{ deployments: [a, b], routing: {name} }}").Aliases["m"];
        Assert.Equal(name, route.Alias.Strategy);

        var planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System));
        Assert.Null(route.Strategy); // resolved by the planner, not by the table
        planner.Plan(route);
        Assert.Same(StrategyCatalog.BuiltIn.Find(name), route.Strategy);
        Assert.Equal(name, DeploymentsEndpoint.StrategyName(route));
    }

    [Fact]
    public void LoadYaml_NoRouting_IsTheCatalogDefault()
    {
        var route = StrategyFixture.Table("  m: { deployments: [a, b] }").Aliases["m"];
        Assert.Null(route.Alias.Strategy);
        Assert.Equal("weighted", DeploymentsEndpoint.StrategyName(route));
        Assert.Equal("weighted", new Planner(new Random(1), new HealthRegistry(TimeProvider.System)).StrategyOf(route).Name);
    }

    [Fact]
    public void LoadYaml_MisspeltStrategy_SuggestsTheCatalogNameAndListsThemAll()
    {
        var result = ConfigLoader.LoadYaml("models:\n  m: { deployments: [switchyard-echo], routing: round_robbin }\n", "t", _ => null);
        var error = Assert.Single(result.Errors, e => e.Path == "models.m.routing");
        Assert.Equal(
            "unknown routing strategy 'round_robbin' (did you mean 'round_robin'?); valid: weighted, round_robin, least_busy, lowest_latency, lowest_cost, usage_headroom",
            error.Message);
    }

    [Fact]
    public void Catalog_DuplicateOrEmptyNames_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new StrategyCatalog([]));
        Assert.Throws<ArgumentException>(() => StrategyCatalog.BuiltIn.With(new PickLastStrategy("weighted")));
        Assert.Throws<ArgumentException>(() => StrategyCatalog.BuiltIn.With(new PickLastStrategy(" ")));
    }

    [Fact]
    public void Plan_StrategyAddedByTestCode_IsSelectedByNameFromTheAliasConfig()
    {
        // Adding a strategy: the class below plus one line, here With(...); in the gateway, one line in BuiltIn.
        var catalog = StrategyCatalog.BuiltIn.With(new PickLastStrategy());
        var planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System), catalog);
        var loaded = StrategyFixture.Table("  m: { deployments: [a, b, c] }").Aliases["m"];

        // The binder validates routing: against the built-in catalog, so the name is set on the loaded alias.
        var route = new AliasRoute(loaded.Alias with { Strategy = "pick_last" }, loaded.Deployments, loaded.Weights, loaded.Priorities);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(["c", "b", "a"], planner.Plan(route).Select(s => s.Deployment.Name));
        }

        Assert.IsType<PickLastStrategy>(route.Strategy);
        Assert.Equal("pick_last", DeploymentsEndpoint.StrategyName(route));
    }

    [Fact]
    public void Plan_NameMissingFromThePlannersCatalog_FailsLoudlyNamingIt()
    {
        var loaded = StrategyFixture.Table("  m: { deployments: [a, b] }").Aliases["m"];
        var route = new AliasRoute(loaded.Alias with { Strategy = "pick_last" }, loaded.Deployments, loaded.Weights, loaded.Priorities);
        var planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System));
        var error = Assert.Throws<InvalidOperationException>(() => planner.Plan(route));
        Assert.Contains("'pick_last'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_RoutingComment_NamesEveryCatalogStrategy()
    {
        // README.md documents routing: with a comment listing the choices; the catalog is the source of truth.
        var line = File.ReadLines(RepoFile("README.md")).Single(l => l.TrimStart().StartsWith("routing:", StringComparison.Ordinal) && l.Contains('#'));
        var listed = line[(line.IndexOf('#') + 1)..].Replace("(default)", "", StringComparison.Ordinal).Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal(StrategyCatalog.BuiltIn.Names, listed);
        Assert.Contains($"{StrategyCatalog.BuiltIn.Default.Name} (default)", line, StringComparison.Ordinal);
    }

    private static string RepoFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchyard.slnx")))
            {
                return Path.Combine(dir.FullName, name);
            }
        }

        throw new FileNotFoundException($"{name} not found above the test output folder");
    }

    /// <summary>A strategy from outside the gateway: the alias's deployments in reverse config order.</summary>
    private sealed class PickLastStrategy(string name = "pick_last") : IRoutingStrategy
    {
        public string Name => name;

        public void Order(in RoutingInputs inputs, Span<int> tier) => tier.Reverse();
    }
}
