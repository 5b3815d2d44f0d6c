using Switchyard.Observability;

namespace Switchyard.Tests.Observability;

/// <summary>The cardinality bound on labels whose values the configuration does not fix.</summary>
public sealed class LabelBudgetTests
{
    [Fact]
    public void Of_BeyondTheBound_OtherForNewValuesOnly()
    {
        var budget = new LabelBudget(2);

        Assert.Equal(["a", "b", "_OTHER", "a", "b", "_OTHER", "none"],
            new[] { budget.Of("a"), budget.Of("b"), budget.Of("c"), budget.Of("a"), budget.Of("b"), budget.Of("d"), budget.Of(null) });
    }

    [Fact]
    public void Of_ManyThreads_AdmitsAboutTheBound()
    {
        var budget = new LabelBudget(10);

        var admitted = Enumerable.Range(0, 1000).AsParallel().Select(i => budget.Of("key-" + i)).Where(v => v != "_OTHER").Distinct().Count();

        Assert.InRange(admitted, 10, 10 + Environment.ProcessorCount); // a race may admit a few past the bound, never many
    }
}
