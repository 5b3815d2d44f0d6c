using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// Hot reload from a config file. Reloads are forced with <c>Watcher.TryReload()</c>, so no test depends on
/// file-system notification timing.
/// </summary>
public sealed class HotReloadTests
{
    private const string Initial = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-b: { provider: up-b, model: upstream-model-b }
        models:
          chat: dep-a
        """;

    private const string WithNewAlias = Initial + """

          chat-b: dep-b
        """;

    private const string Invalid = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
        models:
          chat:
            deployments: [dep-missing]
          other: { deployments: [dep-a], retry: { max_retries: lots } }
        """;

    [Fact]
    public async Task TryReload_NewAliasInFile_IsServed()
    {
        await using var h = await GatewayHarness.StartAsync(Initial, configFile: true);
        Assert.NotNull(h.Gateway.Watcher);
        using (var before = await h.PostChatAsync(Wire.ChatJson("chat-b")))
        {
            await Wire.AssertOpenAIErrorAsync(before, 404, code: "model_not_found");
        }

        h.RewriteConfig(WithNewAlias);
        Assert.True(h.Gateway.Watcher.TryReload());

        h.B.Enqueue(UpstreamBehavior.Text("served by the new alias"));
        using var after = await h.PostChatAsync(Wire.ChatJson("chat-b"));
        var body = await after.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)after.StatusCode);
        Assert.Contains("served by the new alias", body);
        Assert.Equal("upstream-model-b", Assert.Single(h.B.Requests).Model);
        using var old = await h.PostChatAsync(Wire.ChatJson("chat"));
        Assert.Equal(200, (int)old.StatusCode);
    }

    [Fact]
    public async Task TryReload_InvalidFile_ReturnsFalseAndOldConfigKeepsServing()
    {
        await using var h = await GatewayHarness.StartAsync(Initial, configFile: true);
        h.RewriteConfig(WithNewAlias);
        Assert.True(h.Gateway.Watcher!.TryReload());

        h.RewriteConfig(Invalid);
        Assert.False(h.Gateway.Watcher.TryReload());

        using var served = await h.PostChatAsync(Wire.ChatJson("chat-b"));
        await served.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)served.StatusCode);
        Assert.Equal("dep-b", Wire.Header(served, "x-switchyard-deployment"));
        using var chat = await h.PostChatAsync(Wire.ChatJson("chat"));
        await chat.Content.ReadAsStringAsync();
        Assert.Equal("dep-a", Wire.Header(chat, "x-switchyard-deployment"));
        Assert.Contains("chat-b", h.Gateway.Router.Current.Aliases.Keys);
    }

    [Fact]
    public async Task StartAsync_InvalidFile_ThrowsConfigurationRejectedWithErrorPaths()
    {
        await using var h = await GatewayHarness.StartFakesOnlyAsync();

        var ex = await Assert.ThrowsAsync<ConfigurationRejectedException>(() => GatewayApp.StartAsync(h.Options(Invalid, configFile: true)));

        var paths = ex.Errors.Select(e => e.Path).ToList();
        Assert.Contains("models.chat.deployments[0]", paths);
        Assert.Contains("models.other.retry.max_retries", paths);
        Assert.Contains("dep-missing", ex.Errors.Single(e => e.Path == "models.chat.deployments[0]").Message);
        Assert.Contains("models.chat.deployments[0]", ex.Message);
    }

    [Fact]
    public async Task TryReload_ChangedClientKeys_TakeEffectImmediately()
    {
        const string newKey = "sk-rotated-key-e2e-55aa";
        await using var h = await GatewayHarness.StartAsync(Initial, configFile: true);
        var rotated = Initial.Replace("{ id: app, hash: {{APP_HASH}} }",
            "{ id: rotated, hash: " + Switchyard.Auth.KeyAuthenticator.FormatHash(newKey) + " }", StringComparison.Ordinal);
        Assert.NotEqual(Initial, rotated);

        h.RewriteConfig(rotated);
        Assert.True(h.Gateway.Watcher!.TryReload());

        using var oldKey = await h.PostChatAsync(Wire.ChatJson("chat"), key: GatewayHarness.ClientKey);
        await Wire.AssertOpenAIErrorAsync(oldKey, 401, code: "invalid_api_key");
        using var withNew = await h.PostChatAsync(Wire.ChatJson("chat"), key: newKey);
        Assert.Equal(200, (int)withNew.StatusCode);
        var record = await h.UsageAsync(Wire.Header(withNew, "x-request-id")!);
        Assert.Equal("rotated", record.KeyId);
    }
}
