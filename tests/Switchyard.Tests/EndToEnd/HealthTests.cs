using System.Text.Json.Nodes;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Liveness and readiness probes (no key needed).</summary>
public sealed class HealthTests
{
    [Theory]
    [InlineData("/health/live", "ok")]
    [InlineData("/health/ready", "ready")]
    public async Task GetHealth_RunningGateway_Returns200(string path, string status)
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.Http.GetAsync(h.Url(path));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(status, Wire.StringOf(json["status"]));
    }

    [Fact]
    public async Task GetReady_DefaultStorage_ReportsTheSqliteDatabase()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.Http.GetAsync(h.Url("/health/ready"));

        var database = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["database"]!;
        Assert.Equal(("sqlite", "ok"), (Wire.StringOf(database["kind"]), Wire.StringOf(database["status"])));
        Assert.Null(database["error"]);
    }
}
