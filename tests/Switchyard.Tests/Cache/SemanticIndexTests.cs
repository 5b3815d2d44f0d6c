using Microsoft.Extensions.Time.Testing;
using Switchyard.Cache;
using Switchyard.Canonical;

namespace Switchyard.Tests.Cache;

/// <summary>The semantic cache's vector index: threshold, partitions, guards, both bounds, expiry on the injected clock.</summary>
public sealed class SemanticIndexTests
{
    private static readonly PromptSignature Plain = PromptGuards.Signature("what is the capital of france");

    private static float[] At(double similarity) => [(float)similarity, (float)Math.Sqrt(1 - similarity * similarity), 0, 0];

    private static CachedAnswer Answer(string text) => new([StreamEvent.TextChunk(text)], "m", default, CacheTestKit.Deployment(), 100);

    private static string? TextOf(SemanticMatch? match) => match?.Answer.Events[0].Text;

    [Fact]
    public void Find_BestAboveThreshold_WithItsSimilarity()
    {
        using var index = new SemanticIndex(new FakeTimeProvider());
        index.Add("p", At(1), Plain, Answer("one"), TimeSpan.FromHours(1), 10, 100);
        index.Add("p", [0, 0, 1, 0], Plain, Answer("orthogonal"), TimeSpan.FromHours(1), 10, 100);

        var match = index.Find("p", At(0.98), Plain, 0.9f);

        Assert.Equal("one", TextOf(match));
        Assert.InRange(match!.Similarity, 0.979f, 0.981f);
        Assert.Null(index.Find("p", At(0.8), Plain, 0.9f));
    }

    [Fact]
    public void Find_OtherPartitionOrSignature_Nothing()
    {
        using var index = new SemanticIndex(new FakeTimeProvider());
        index.Add("tenant-a", At(1), Plain, Answer("a"), TimeSpan.FromHours(1), 10, 100);

        Assert.Null(index.Find("tenant-b", At(1), Plain, 0.5f));
        Assert.Null(index.Find("tenant-a", At(1), PromptGuards.Signature("what is not the capital of france"), 0.5f));
        Assert.Equal("a", TextOf(index.Find("tenant-a", At(1), Plain, 0.5f)));
    }

    [Fact]
    public void Find_AfterTtl_Nothing_NextAddDropsIt()
    {
        var time = new FakeTimeProvider();
        using var index = new SemanticIndex(time);
        index.Add("p", At(1), Plain, Answer("a"), TimeSpan.FromMinutes(1), 10, 100);
        time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1));
        Assert.Equal("a", TextOf(index.Find("p", At(1), Plain, 0.5f)));

        time.Advance(TimeSpan.FromTicks(1));

        Assert.Null(index.Find("p", At(1), Plain, 0.5f));
        index.Add("p", [0, 0, 1, 0], Plain, Answer("b"), TimeSpan.FromMinutes(1), 10, 100);
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void Add_PastPartitionBound_EvictsItsLeastRecentlyUsed()
    {
        using var index = new SemanticIndex(new FakeTimeProvider());
        float[] a = [1, 0, 0, 0], b = [0, 1, 0, 0], c = [0, 0, 1, 0];
        index.Add("p", a, Plain, Answer("a"), TimeSpan.FromHours(1), 2, 100);
        index.Add("p", b, Plain, Answer("b"), TimeSpan.FromHours(1), 2, 100);
        Assert.Equal("a", TextOf(index.Find("p", a, Plain, 0.9f))); // a is now more recent than b

        index.Add("p", c, Plain, Answer("c"), TimeSpan.FromHours(1), 2, 100);

        Assert.Null(index.Find("p", b, Plain, 0.9f));
        Assert.Equal("a", TextOf(index.Find("p", a, Plain, 0.9f)));
        Assert.Equal("c", TextOf(index.Find("p", c, Plain, 0.9f)));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void Add_PastTotalBound_EvictsTheIndexLeastRecentlyUsed()
    {
        using var index = new SemanticIndex(new FakeTimeProvider());
        index.Add("one", At(1), Plain, Answer("1"), TimeSpan.FromHours(1), 10, 2);
        index.Add("two", At(1), Plain, Answer("2"), TimeSpan.FromHours(1), 10, 2);
        index.Add("three", At(1), Plain, Answer("3"), TimeSpan.FromHours(1), 10, 2);

        Assert.Null(index.Find("one", At(1), Plain, 0.9f));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void Find_VectorOfOtherLength_Ignored()
    {
        using var index = new SemanticIndex(new FakeTimeProvider());
        index.Add("p", [1, 0], Plain, Answer("short"), TimeSpan.FromHours(1), 10, 100);

        Assert.Null(index.Find("p", At(1), Plain, 0.5f));
    }
}
