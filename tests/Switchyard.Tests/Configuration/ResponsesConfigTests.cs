using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary><c>responses:</c>: whether and how long Responses API state is kept.</summary>
public sealed class ResponsesConfigTests
{
    [Fact]
    public void LoadYaml_NoResponsesBlock_KeepsThirtyDaysUpTo16MiB()
    {
        var config = LoadValid("");

        Assert.Equal(new ResponsesSettings(true, TimeSpan.FromDays(30), 16L * 1024 * 1024), config.Responses);
    }

    [Theory]
    [InlineData("{ retention: 7d }", 7 * 24 * 60)]
    [InlineData("{ retention: 1.5d }", 36 * 60)]
    [InlineData("{ retention: 12h }", 12 * 60)]
    [InlineData("{ retention: 90m }", 90)]
    public void LoadYaml_Retention_TakesDaysAndTheUsualUnits(string block, int minutes)
    {
        var config = LoadValid("responses: " + block);

        Assert.Equal(TimeSpan.FromMinutes(minutes), config.Responses.Retention);
    }

    [Fact]
    public void LoadYaml_StoreFalseAndMaxSize_AreBound()
    {
        var config = LoadValid("responses: { store: false, max_size: 1MiB }");

        Assert.False(config.Responses.Store);
        Assert.Equal(1024 * 1024, config.Responses.MaxSize);
    }

    [Theory]
    [InlineData("{ retention: 720h }", "responses.retention", "longer than 7 days: write it in days, e.g. 30d")]
    [InlineData("{ retention: 0d }", "responses.retention", "expected a duration such as 30d, 12h or 90m")]
    [InlineData("{ retention: 4000d }", "responses.retention", "must be at most 3650d")]
    [InlineData("{ store: maybe }", "responses.store", "must be true or false")]
    [InlineData("{ max_size: lots }", "responses.max_size", null)]
    [InlineData("{ retain: 30d }", "responses.retain", null)]
    public void LoadYaml_BadValues_AreErrorsAtTheirPath(string block, string path, string? message)
    {
        var error = SingleErrorAt("responses: " + block, path);

        if (message is not null)
        {
            Assert.Equal(message, error);
        }
    }
}
