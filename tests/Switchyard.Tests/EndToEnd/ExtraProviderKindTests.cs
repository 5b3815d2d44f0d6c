using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Hosting;
using Switchyard.Providers;
using Switchyard.Tests.Providers.Toy;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// A provider kind registered from test code (<see cref="ToyProvider"/>, no edit under <c>src/</c>) serves real
/// chat completions through Kestrel: config validated against the extended catalog, adapter and in-process
/// handler built from its descriptor, usage recorded like any other.
/// </summary>
public sealed class ExtraProviderKindTests
{
    private const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
        providers:
          toybox:
            kind: toy
            settings: { voice: shout, prefix: "toy>" }
        deployments:
          toy-d: { provider: toybox, model: toy-1 }
        models:
          toy: toy-d
        """;

    [Fact]
    public async Task ChatCompletion_ToyKindFromTestCode_ServedEndToEnd()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml, fakes: 0, providers: ProviderCatalog.Default.With(new ToyProvider()));

        using var response = await h.PostChatAsync("""{"model":"toy","messages":[{"role":"user","content":"hello there"}]}""");

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var json = JsonNode.Parse(body)!;
        Assert.Equal("toy>HELLO THERE", Wire.StringOf(json["choices"]![0]!["message"]!["content"]));
        Assert.Equal("toy-1", Wire.StringOf(json["model"])); // the upstream model that answered, as for built-in kinds
        Assert.Equal(2, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(2, (int)json["usage"]!["completion_tokens"]!);

        var record = await h.SingleUsageAsync();
        Assert.Equal(("toy-d", "toy-1", 200), (record.FinalDeployment, record.FinalModel, record.Status));
    }

    [Fact]
    public async Task StartAsync_ToyKindWithoutItsDescriptor_RefusesTheConfig()
    {
        await using var h = await GatewayHarness.StartFakesOnlyAsync(fakes: 0);

        var ex = await Assert.ThrowsAsync<ConfigurationRejectedException>(() => GatewayApp.StartAsync(h.Options(Yaml, configFile: false)));

        Assert.Contains(ex.Errors, e => e.Path == "providers.toybox.kind" && e.Message.StartsWith("unknown kind 'toy'", StringComparison.Ordinal));
    }
}
