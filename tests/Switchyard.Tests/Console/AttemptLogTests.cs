using Switchyard.Endpoints;

namespace Switchyard.Tests.Console;

/// <summary>A record's <c>attempt_log</c> read back into attempts for the explorer's detail view.</summary>
public sealed class AttemptLogTests
{
    private static UsageRecord Record(string? log, int attempts = 2, string? final = "dep-b") =>
        new() { RequestId = "req_1", Operation = "chat.completions", AttemptLog = log, Attempts = attempts, FinalDeployment = final };

    [Fact]
    public void Attempts_Log_ParsedInOrderWithDurations()
    {
        var attempts = UsageJsonWriter.Attempts(Record("dep-a:server_error:12ms,dep-b:ok:340ms")).ToList();
        Assert.Equal([("dep-a", "server_error", 12d), ("dep-b", "ok", 340d)], attempts.Select(a => (a.Deployment, a.Outcome, a.Ms ?? -1)));
    }

    [Fact]
    public void Attempts_DeploymentNameWithColons_CutFromTheRight()
    {
        var attempt = Assert.Single(UsageJsonWriter.Attempts(Record("bedrock:us.anthropic.claude:v1:timeout:30000ms")));
        Assert.Equal(("bedrock:us.anthropic.claude:v1", "timeout", 30000d), (attempt.Deployment, attempt.Outcome, attempt.Ms ?? -1));
    }

    [Fact]
    public void Attempts_NoLogOneSuccess_TheFinalDeploymentWithoutDuration()
    {
        var attempt = Assert.Single(UsageJsonWriter.Attempts(Record(null, attempts: 1)));
        Assert.Equal(("dep-b", "ok", (double?)null), (attempt.Deployment, attempt.Outcome, attempt.Ms));
        Assert.Empty(UsageJsonWriter.Attempts(Record(null, attempts: 0, final: null)));
    }
}
