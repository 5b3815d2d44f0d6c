using Switchyard.Configuration;

namespace Switchyard.Tests.Configuration;

/// <summary><c>server.shutdown_timeout</c>, <c>server.max_upstream_event_size</c> and <c>server.max_upstream_response_size</c>.</summary>
public sealed class ServerDrainAndBoundsConfigTests
{
    [Fact]
    public void Load_NoServerSettings_DefaultsAre30sAnd1MiBAnd16MiB()
    {
        var server = ConfigLoader.LoadYaml("server: { data_dir: ./d }", "t", _ => null).Config!.Server;

        Assert.Equal(TimeSpan.FromSeconds(30), server.ShutdownTimeout);
        Assert.Equal(1024 * 1024, server.MaxUpstreamEventSize);
        Assert.Equal(16 * 1024 * 1024, server.MaxUpstreamResponseSize);
    }

    [Fact]
    public void Load_AllThree_AreBound()
    {
        var server = ConfigLoader.LoadYaml(
            "server: { shutdown_timeout: 2m, max_upstream_event_size: 4MiB, max_upstream_response_size: 64MiB }", "t", _ => null).Config!.Server;

        Assert.Equal(TimeSpan.FromMinutes(2), server.ShutdownTimeout);
        Assert.Equal(4 * 1024 * 1024, server.MaxUpstreamEventSize);
        Assert.Equal(64 * 1024 * 1024, server.MaxUpstreamResponseSize);
    }

    [Theory]
    [InlineData("max_upstream_event_size: 1KiB", "server.max_upstream_event_size: must be between 64KiB and 1GiB")]
    [InlineData("max_upstream_response_size: 2GiB", "server.max_upstream_response_size: must be between 64KiB and 1GiB")]
    [InlineData("shutdown_timeout: soon", "server.shutdown_timeout")]
    public void Load_BadValue_IsRefusedWithItsPath(string setting, string expected)
    {
        var result = ConfigLoader.LoadYaml("server: { " + setting + " }", "t", _ => null);

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }
}
