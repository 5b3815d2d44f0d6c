using System.Text;
using Switchyard.Cache;

namespace Switchyard.Tests.Cache;

/// <summary>The exact cache's key: what makes two requests the same, and what keeps them apart.</summary>
public sealed class CacheKeysTests
{
    private static readonly CacheKeys.Parts App = new("key:app", "openai.chat", "chat", null, null);

    private static byte[]? Key(string json, CacheKeys.Parts? parts = null) => CacheKeys.Build(parts ?? App, Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Build_MemberOrderWhitespaceAndNumberSpelling_SameKey()
    {
        var a = Key("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":1.0,"max_tokens":100}""");
        var b = Key("""{ "max_tokens": 1e2, "temperature": 1, "messages": [ { "content": "h\u0069", "role": "user" } ], "model": "chat" }""");

        Assert.NotNull(a);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Build_ExcludedMembers_DoNotChangeTheKey()
    {
        var plain = Key("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        var noisy = Key("""{"model":"other-name","messages":[{"role":"user","content":"hi"}],"user":"u-42","stream":true,"stream_options":{"include_usage":true},"metadata":{"tag":"x"},"models":["b"]}""");

        Assert.Equal(plain, noisy);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi!"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":0.5}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"seed":9007199254740993}""")]
    [InlineData("""{"messages":[{"role":"system","content":"x"},{"role":"user","content":"hi"}]}""")]
    public void Build_AnswerChangingDifference_OtherKey(string json)
    {
        var baseline = Key("""{"messages":[{"role":"user","content":"hi"}]}""");

        Assert.NotEqual(baseline, Key(json));
    }

    [Fact]
    public void Build_SeedsBeyondDoublePrecision_StayApart()
    {
        Assert.NotEqual(Key("""{"messages":[],"seed":9007199254740993}"""), Key("""{"messages":[],"seed":9007199254740992}"""));
    }

    [Fact]
    public void Build_EveryHeaderPart_SeparatesKeys()
    {
        const string json = """{"messages":[{"role":"user","content":"hi"}]}""";
        var keys = new[]
        {
            Key(json),
            Key(json, App with { Scope = "key:other" }),
            Key(json, App with { Scope = "team:app" }),
            Key(json, App with { Format = "anthropic.messages" }),
            Key(json, App with { Alias = "chat2" }),
            Key(json, App with { Route = "r" }),
            Key(json, App with { Namespace = "ns" }),
        };

        Assert.Equal(keys.Length, keys.Select(Convert.ToHexString!).Distinct().Count());
    }

    [Theory]
    [InlineData("""{"messages":[],"n":2}""")]
    [InlineData("""{"messages":[],"logprobs":true}""")]
    [InlineData("""{"messages":[],"top_logprobs":3}""")]
    [InlineData("""{"messages":[],"audio":{"voice":"alloy"}}""")]
    [InlineData("""{"contents":[],"generationConfig":{"candidateCount":2}}""")]
    [InlineData("""{"contents":[],"generationConfig":{"responseLogprobs":true}}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"messages":[{"role":"user","content":"\ud800"}]}""")]
    public void Build_AnswerTheEventsCannotHold_NotCacheable(string json)
    {
        Assert.Null(Key(json));
    }

    [Fact]
    public void Build_OneChoiceAndLogprobsFalse_AreCacheable()
    {
        Assert.NotNull(Key("""{"messages":[],"n":1,"logprobs":false}"""));
    }

    [Fact]
    public void Canonical_SortsMembersAndDropsExcludedTopLevelOnly()
    {
        var text = CacheKeys.Canonical(Encoding.UTF8.GetBytes("""{"user":"u","b":{"user":"kept","a":1.50},"a":[2.0,"x"]}"""));

        Assert.Equal("""{"a":[2,"x"],"b":{"a":1.5,"user":"kept"}}""", text);
    }
}
