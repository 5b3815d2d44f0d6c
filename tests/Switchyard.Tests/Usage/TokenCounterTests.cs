using Microsoft.ML.Tokenizers;
using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

/// <summary>Which vocabulary an estimate is counted with, per upstream model, and that the count is the library's own.</summary>
public sealed class TokenCounterTests
{
    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("gpt-4o-mini-2024-07-18")]
    [InlineData("chatgpt-4o-latest")]
    [InlineData("gpt-4.1-nano")]
    [InlineData("gpt-4.5-preview")]
    [InlineData("gpt-5")]
    [InlineData("gpt-5-mini")]
    [InlineData("o1")]
    [InlineData("o3-mini")]
    [InlineData("o4-mini-2025-04-16")]
    [InlineData("gpt-oss-120b")]
    [InlineData("openai/gpt-4o")]
    [InlineData("GPT-4o")]
    public void EncodingFor_CurrentOpenAIModels_IsO200k(string model) =>
        Assert.Equal(TokenEncoding.O200k, TokenCounter.EncodingFor(model));

    [Theory]
    [InlineData("gpt-4")]
    [InlineData("gpt-4-turbo")]
    [InlineData("gpt-3.5-turbo")]
    [InlineData("text-embedding-3-small")]
    [InlineData("claude-3-5-sonnet-20241022")]
    [InlineData("anthropic.claude-3-haiku-20240307-v1:0")]
    [InlineData("gemini-2.0-flash")]
    [InlineData("llama-3.1-8b-instant")]
    [InlineData("meta-llama/Llama-3.3-70B-Instruct")]
    [InlineData("omni-moderation-latest")]
    [InlineData("o")]
    [InlineData("")]
    [InlineData(null)]
    public void EncodingFor_OlderOpenAIAndOtherModels_IsCl100k(string? model) =>
        Assert.Equal(TokenEncoding.Cl100k, TokenCounter.EncodingFor(model));

    [Fact]
    public void Count_IsTheTokenizersOwnCount()
    {
        var counter = new TokenCounter();
        const string text = "Metering what was delivered: never zero for text the client received. 🌊";

        Assert.Equal(TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(text), counter.Count(text, TokenEncoding.O200k));
        Assert.Equal(TiktokenTokenizer.CreateForEncoding("cl100k_base").CountTokens(text), counter.Count(text, TokenEncoding.Cl100k));
        Assert.Equal(0, counter.Count(null, TokenEncoding.O200k));
    }
}
