using System.Text.Json.Nodes;

namespace Switchyard.Tests.EndToEnd.Admin;

/// <summary>
/// A key's limits per model (<c>model_limits</c>) through the admin API: set at create, shown by GET, replaced whole
/// by PATCH, cleared by <c>null</c> or <c>{}</c>, kept across a restart, refused with the field named when a model is a
/// pattern or a limit is invalid; a config key's are shown read-only.
/// </summary>
public sealed class AdminModelLimitsTests
{
    private static async Task<(GatewayHarness H, AdminClient Admin)> StartAsync(string yaml = GatewayHarness.DefaultYaml)
    {
        var h = await GatewayHarness.StartAsync(yaml, env: AdminClient.MasterEnv);
        return (h, new AdminClient(h, AdminClient.MasterKey));
    }

    private static JsonNode ModelLimits(JsonNode key) => key["model_limits"]!;

    [Fact]
    public async Task CreateGetPatchRestart_ModelLimitsRoundTrip_AndPatchReplacesThemWhole()
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;

        var (id, _, created) = await admin.CreateKeyAsync(
            """{"name":"per-model","limits":{"rpm":100},"model_limits":{"chat":{"rpm":10,"tpm":20000},"openai/gpt-4o":{"concurrency":2}}}""");
        var (getStatus, shown) = await admin.GetAsync($"/v1/admin/keys/{id}");

        Assert.Equal(200, getStatus);
        Assert.Equal(10, ModelLimits(created)["chat"]!["rpm"]!.GetValue<int>());
        Assert.Equal(20000, ModelLimits(shown)["chat"]!["tpm"]!.GetValue<long>());
        Assert.Null(ModelLimits(shown)["chat"]!["concurrency"]);
        Assert.Equal(2, ModelLimits(shown)["openai/gpt-4o"]!["concurrency"]!.GetValue<int>());
        Assert.Equal(100, shown["limits"]!["rpm"]!.GetValue<int>());

        var (renamed, afterRename) = await admin.PatchAsync($"/v1/admin/keys/{id}", """{"name":"renamed"}""");
        Assert.Equal(200, renamed);
        Assert.Equal(ModelLimits(shown).ToJsonString(), ModelLimits(afterRename).ToJsonString()); // absent: unchanged

        var (patched, replaced) = await admin.PatchAsync($"/v1/admin/keys/{id}", """{"model_limits":{"solo":{"rpm":3}}}""");
        Assert.Equal(200, patched);
        Assert.Equal("""{"solo":{"rpm":3,"tpm":null,"input_tpm":null,"output_tpm":null,"concurrency":null,"on_unreachable":null}}""", ModelLimits(replaced).ToJsonString());

        await h.RestartGatewayAsync();

        var (_, restarted) = await admin.GetAsync($"/v1/admin/keys/{id}");
        Assert.Equal(ModelLimits(replaced).ToJsonString(), ModelLimits(restarted).ToJsonString());
        Assert.Equal(100, restarted["limits"]!["rpm"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{}")]
    public async Task Patch_NullOrAnEmptyObject_ClearsThem_AndTheClearSurvivesARestart(string value)
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;
        var (id, _, _) = await admin.CreateKeyAsync("""{"name":"cleared","model_limits":{"chat":{"rpm":1}}}""");

        var (status, cleared) = await admin.PatchAsync($"/v1/admin/keys/{id}", $$"""{"model_limits":{{value}}}""");
        await h.RestartGatewayAsync();
        var (_, shown) = await admin.GetAsync($"/v1/admin/keys/{id}");

        Assert.Equal(200, status);
        Assert.Equal("{}", ModelLimits(cleared).ToJsonString());
        Assert.Equal("{}", ModelLimits(shown).ToJsonString());
    }

    [Theory]
    [InlineData("""{"openai/*":{"rpm":1}}""", "model_limits.openai/*")]
    [InlineData("""{"chat":{"rpm":0}}""", "model_limits.chat.rpm")]
    [InlineData("""{"chat":{"rpn":5}}""", "model_limits.chat.rpn")]
    [InlineData("""{"chat":{}}""", "model_limits.chat")]
    [InlineData("""{"chat":null}""", "model_limits.chat")]
    [InlineData("""{"":{"rpm":1}}""", "model_limits.")]
    [InlineData("""[{"chat":{"rpm":1}}]""", "model_limits")]
    public async Task Create_InvalidModelLimits_Is400NamingTheField_AndNoKeyIsMade(string value, string param)
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;

        var (status, body) = await admin.PostAsync("/v1/admin/keys", $$"""{"name":"bad","model_limits":{{value}}}""");
        var (_, list) = await admin.GetAsync("/v1/admin/keys");

        Assert.Equal(400, status);
        Assert.Equal(param, body["error"]!["param"]!.GetValue<string>());
        Assert.DoesNotContain(list["data"]!.AsArray(), k => k!["name"]!.GetValue<string>() == "bad");
    }

    [Fact]
    public async Task ConfigKey_ModelLimitsFromTheFile_AreShownReadOnly()
    {
        var yaml = GatewayHarness.DefaultYaml.Replace("- { id: app, hash: {{APP_HASH}} }",
            "- { id: app, hash: {{APP_HASH}}, model_limits: { solo: { rpm: 7 } } }", StringComparison.Ordinal);
        var (h, admin) = await StartAsync(yaml);
        await using var _ = h;

        var (status, app) = await admin.GetAsync("/v1/admin/keys/app");
        var (refused, _) = await admin.PatchAsync("/v1/admin/keys/app", """{"model_limits":null}""");

        Assert.Equal(200, status);
        Assert.Equal("config", app["source"]!.GetValue<string>());
        Assert.Equal(7, ModelLimits(app)["solo"]!["rpm"]!.GetValue<int>());
        Assert.Equal(409, refused);
    }
}
