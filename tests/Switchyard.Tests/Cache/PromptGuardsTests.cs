using Switchyard.Cache;

namespace Switchyard.Tests.Cache;

/// <summary>The semantic cache's guards: what two prompts must share (negations, numbers, entities) for a hit.</summary>
public sealed class PromptGuardsTests
{
    [Theory]
    [InlineData("What is the capital of France?", "Tell me the capital of France.")]
    [InlineData("How do I sort a list in Python?", "how do I sort a list in Python")]
    [InlineData("Explain \"dependency injection\" briefly.", "Please explain \"dependency injection\" in short.")]
    [InlineData("Is 1,000 bigger than 999?", "Is 1000 bigger than 999?")]
    public void Signature_EquivalentPrompts_Equal(string a, string b) =>
        Assert.Equal(PromptGuards.Signature(a), PromptGuards.Signature(b));

    [Theory]
    [InlineData("How do I enable logging?", "How do I not enable logging?")]
    [InlineData("Can I delete it?", "Can't I delete it?")]
    [InlineData("Recipes with nuts", "Recipes without nuts")]
    [InlineData("Is it safe?", "It is never safe?")]
    [InlineData("What is 2+2?", "What is 2+3?")]
    [InlineData("Round 3.14 to one place", "Round 3.15 to one place")]
    [InlineData("List three colours", "List four colours")]
    [InlineData("Capital of France", "Capital of Germany")]
    [InlineData("Who is Alan Turing?", "Who is Alan Kay?")]
    [InlineData("Define 'idempotent'", "Define 'immutable'")]
    [InlineData("Run `ls -la`", "Run `rm -rf`")]
    public void Signature_PromptsDifferingInGuardedWays_Differ(string a, string b) =>
        Assert.NotEqual(PromptGuards.Signature(a), PromptGuards.Signature(b));

    [Fact]
    public void Signature_ApostropheInsideWord_NotAQuote()
    {
        var signature = PromptGuards.Signature("don't say 'hello' or it's over");

        Assert.Equal(1, signature.Negations);
        Assert.Equal("\"hello", signature.Entities);
    }
}
