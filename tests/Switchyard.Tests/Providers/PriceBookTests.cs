using System.Text;

namespace Switchyard.Tests.Providers;

/// <summary>The price book's rules: effective dating, id patterns, preset scope, and a file's checks.</summary>
public sealed class PriceBookTests
{
    private const string TwoEntries = """
        {
          "provider": "acme",
          "source": "https://acme.example/pricing",
          "read": "2026-01-10",
          "strip": ["-\\d{8}$"],
          "models": [
            { "model": "acme-1", "effective_from": "2026-01-10", "input": 1, "output": 2 },
            { "model": "acme-1", "effective_from": "2026-03-01", "input": 3, "output": 4, "cached_input": 0.3, "source": "https://acme.example/news" },
            { "model": "acme-1-20250101", "effective_from": "2026-01-10", "input": 9, "output": 9 }
          ]
        }
        """;

    private static PriceList List(string json) => PriceList.Parse(Encoding.UTF8.GetBytes(json), "test.json");

    [Fact]
    public void At_TwoEntries_ADayBeforeTheSecondUsesTheFirst()
    {
        var price = new PriceBook([List(TwoEntries)]).PriceFor("acme", "acme-1", new DateOnly(2026, 2, 1))!;

        Assert.Equal(1m, price.Input); // in effect on the day of load
        Assert.Equal("book:2026-01-10", price.Version);
        Assert.Equal(1m, price.At(new DateOnly(2026, 2, 28)).Input);
        Assert.Equal("book:2026-01-10", price.At(new DateOnly(2026, 2, 28)).Version);
        Assert.Equal(3m, price.At(new DateOnly(2026, 3, 1)).Input);
        Assert.Equal("book:2026-03-01", price.At(new DateOnly(2027, 1, 1)).Version);

        // The first entry also covers the days before it: the book starts when it was read, not the price.
        Assert.Equal(1m, price.At(new DateOnly(2020, 1, 1)).Input);
    }

    [Fact]
    public void At_ConfigPrice_IsItselfOnEveryDay()
    {
        var price = new Price(1, 2);
        Assert.Same(price, price.At(new DateOnly(1999, 1, 1)));
        Assert.Equal(Price.ConfigVersion, price.Version);
    }

    [Fact]
    public void Find_ExactIdWinsOverPattern_PatternsMatchSnapshots()
    {
        var list = List(TwoEntries);

        Assert.Equal(9m, list.Find("acme-1-20250101")![0].Input); // its own entry
        Assert.Equal(1m, list.Find("acme-1-20250202")![0].Input); // the family's, through the date pattern
        Assert.Null(list.Find("acme-2"));
        Assert.Null(list.Find("acme-1-2025"));
    }

    [Fact]
    public void Schedule_PresetScope_OnlyTheNamedPresets()
    {
        var scoped = List(TwoEntries.Replace("\"provider\": \"acme\",", "\"provider\": \"acme\", \"presets\": [\"acme\"],", StringComparison.Ordinal));
        var book = new PriceBook([scoped]);

        Assert.NotNull(book.Schedule("acme", "acme-1"));
        Assert.Null(book.Schedule("openai-compatible", "acme-1")); // a kind: + base_url provider is not the priced host
        Assert.NotNull(new PriceBook([scoped.ForEveryPreset("other", "n")]).Schedule("anything", "acme-1"));
    }

    [Fact]
    public void Parse_BadFile_EveryProblemNamed()
    {
        const string bad = """
            {
              "provider": "acme",
              "source": "http://insecure.example",
              "models": [
                { "model": "a", "effective_from": "2026-01-01", "input": 1, "output": 2 },
                { "model": "a", "effective_from": "2026-01-01", "input": 1, "output": 2 },
                { "model": "b", "input": 1 },
                { "model": "c", "effective_from": "2026-01-01", "input": -1, "output": 2, "long_context": { "input": 1, "output": 1 } }
              ]
            }
            """;
        var error = Assert.Throws<InvalidDataException>(() => List(bad)).Message;

        Assert.Contains("'source' is required", error, StringComparison.Ordinal);
        Assert.Contains("'read' is required", error, StringComparison.Ordinal);
        Assert.Contains("a second entry for 'a' effective 2026-01-01", error, StringComparison.Ordinal);
        Assert.Contains("models[2] (b): 'effective_from' is required", error, StringComparison.Ordinal);
        Assert.Contains("models[2] (b): 'input' and 'output' are required", error, StringComparison.Ordinal);
        Assert.Contains("models[3] (c): rates may not be negative", error, StringComparison.Ordinal);
        Assert.Contains("long_context.above_input_tokens is required", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MisspeltRate_Refused()
    {
        var json = TwoEntries.Replace("\"cached_input\"", "\"cached_inptu\"", StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => List(json));
    }
}
