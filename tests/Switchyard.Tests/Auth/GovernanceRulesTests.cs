namespace Switchyard.Tests.Auth;

/// <summary>The shared rules of keys, teams and customers: model patterns, ids, amounts.</summary>
public sealed class GovernanceRulesTests
{
    [Theory]
    [InlineData("gpt-4o", "gpt-4o", true)]
    [InlineData("gpt-4o", "gpt-4o-mini", false)]
    [InlineData("openai/*", "openai/gpt-4o", true)]
    [InlineData("openai/*", "openai/", false)]
    [InlineData("openai/*", "openai", false)]
    [InlineData("openai/*", "openaix/gpt", false)]
    [InlineData("openai/*", "anthropic/openai/x", false)]
    public void AllowsModel_ExactOrPrefixSlashStar(string pattern, string model, bool allowed) =>
        Assert.Equal(allowed, GovernanceRules.AllowsModel([pattern], model));

    [Fact]
    public void AllowsModel_EmptyList_AllowsEverything() => Assert.True(GovernanceRules.AllowsModel([], "anything"));

    [Theory]
    [InlineData("gpt-4o", true)]
    [InlineData("openai/*", true)]
    [InlineData("*", false)]
    [InlineData("gpt-*", false)]
    [InlineData("a/*/b", false)]
    [InlineData("", false)]
    public void CheckModelPattern_OnlyExactNamesAndATrailingSlashStar(string pattern, bool valid) =>
        Assert.Equal(valid, GovernanceRules.CheckModelPattern(pattern) is null);

    [Theory]
    [InlineData("12.5", true, 12_500_000)]
    [InlineData("0.000001", true, 1)]
    [InlineData("0.0000001", false, 0)]
    public void TryMicros_IsExact_NeverRounds(string usd, bool ok, long micros)
    {
        Assert.Equal(ok, GovernanceRules.TryMicros(decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture), out var value));
        Assert.Equal(micros, value);
    }

    [Theory]
    [InlineData("acme", true)]
    [InlineData("user@example.com", true)]
    [InlineData("tenant/eu west", true)]
    [InlineData("", false)]
    [InlineData("a\nb", false)]
    public void CheckCustomerId_AnyTextWithoutControlCharacters(string id, bool valid) =>
        Assert.Equal(valid, GovernanceRules.CheckCustomerId(id) is null);

    [Fact]
    public void CheckCustomerId_IsBoundedLikeAModelName()
    {
        Assert.Null(GovernanceRules.CheckCustomerId(new string('a', 256)));
        Assert.NotNull(GovernanceRules.CheckCustomerId(new string('a', 257)));
    }

    [Fact]
    public void CheckBudget_NamesTheFieldAtFault()
    {
        Assert.Equal("time_zone", GovernanceRules.CheckBudget(new BudgetRule(1, BudgetPeriod.Daily) { TimeZone = "Nowhere/Else" })!.Value.Field);
        Assert.Equal("alert_at", GovernanceRules.CheckBudget(new BudgetRule(1, BudgetPeriod.Daily) { AlertAt = [1.5] })!.Value.Field);
        Assert.Null(GovernanceRules.CheckBudget(new BudgetRule(1, BudgetPeriod.Daily) { TimeZone = "Europe/Paris", AlertAt = [0.8, 1] }));
    }
}
