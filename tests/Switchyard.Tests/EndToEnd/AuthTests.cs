using System.Text;
using OpenAI.Chat;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Client authentication: master key, listed keys, both headers, and what the usage record keeps.</summary>
public sealed class AuthTests
{
    private const string MasterKey = "sk-master-e2e-91b0c2f7a3";

    private const string NoKeysYaml = """
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
        models:
          chat: dep-a
        """;

    [Fact]
    public async Task CompleteChat_MasterKeyFromEnvironment_IsAcceptedAndRecordedAsMaster()
    {
        await using var h = await GatewayHarness.StartAsync(env: new Dictionary<string, string> { ["SWITCHYARD_MASTER_KEY"] = MasterKey });

        ChatCompletion completion = await h.Chat("chat", key: MasterKey).CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.NotEmpty(completion.Content);
        var record = await h.SingleUsageAsync();
        Assert.Equal("master", record.KeyId);
        Assert.Equal(GatewayHarness.ProviderKey, Assert.Single(h.A.Requests).BearerToken);
    }

    [Fact]
    public async Task PostChat_MasterKeyOnlyConfig_RequiresTheKey()
    {
        await using var h = await GatewayHarness.StartAsync(NoKeysYaml, fakes: 1, env: new Dictionary<string, string> { ["SWITCHYARD_MASTER_KEY"] = MasterKey });

        using var without = await h.PostChatAsync(Wire.ChatJson(), key: null);
        using var with = await h.PostChatAsync(Wire.ChatJson(), key: MasterKey);

        await Wire.AssertOpenAIErrorAsync(without, 401, code: "missing_api_key");
        Assert.Equal(200, (int)with.StatusCode);
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task PostChat_ListedKeyInXApiKeyHeader_IsAccepted()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var request = h.Post("/v1/chat/completions", Wire.ChatJson(), key: null);
        request.Headers.Add("x-api-key", GatewayHarness.ClientKey);
        using var response = await h.SendAsync(request);
        await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("app", record.KeyId);
        Assert.Equal(GatewayHarness.ProviderKey, Assert.Single(h.A.Requests).BearerToken); // not the client's key
    }

    [Fact]
    public async Task PostChat_WrongXApiKey_Returns401()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var request = h.Post("/v1/chat/completions", Wire.ChatJson(), key: null);
        request.Headers.Add("x-api-key", "sk-guess");
        using var response = await h.SendAsync(request);

        await Wire.AssertOpenAIErrorAsync(response, 401, code: "invalid_api_key");
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task PostChat_UsageStore_KeepsKeyIdButNeverTheKey()
    {
        await using var h = await GatewayHarness.StartAsync(env: new Dictionary<string, string> { ["SWITCHYARD_MASTER_KEY"] = MasterKey });

        using (var r1 = await h.PostChatAsync(Wire.ChatJson(), key: GatewayHarness.ClientKey))
        {
            Assert.Equal(200, (int)r1.StatusCode);
        }

        using (var r2 = await h.PostChatAsync(Wire.ChatJson(stream: true), key: MasterKey))
        {
            await Wire.ReadSseAsync(r2);
        }

        using (var r3 = await h.PostChatAsync(Wire.ChatJson(), key: "sk-wrong-but-secret-too"))
        {
            Assert.Equal(401, (int)r3.StatusCode);
        }

        var records = await h.UsageRecordsAsync(3);
        Assert.Equal(["<null>", "app", "master"], records.Select(r => r.KeyId ?? "<null>").Order(StringComparer.Ordinal));
        foreach (var record in records)
        {
            var fields = string.Join("|", record.RequestId, record.KeyId, record.Alias, record.IntendedDeployment, record.FinalDeployment,
                record.FinalModel, record.FallbackReason, record.ErrorKind);
            Assert.DoesNotContain("sk-", fields);
        }

        var stored = Encoding.UTF8.GetString(await h.DataDirectoryBytesAsync());
        Assert.DoesNotContain(GatewayHarness.ClientKey, stored);
        Assert.DoesNotContain(MasterKey, stored);
        Assert.DoesNotContain("sk-wrong-but-secret-too", stored);
        Assert.DoesNotContain(GatewayHarness.ProviderKey, stored);
    }

    [Fact]
    public async Task GetModels_WithoutKey_Returns401()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.Http.GetAsync(h.Url("/v1/models"));

        await Wire.AssertOpenAIErrorAsync(response, 401, code: "missing_api_key");
    }

    [Fact]
    public async Task PostChat_NoKeysConfigured_OpenModeRecordsAnonymous()
    {
        await using var h = await GatewayHarness.StartAsync(NoKeysYaml, fakes: 1);

        using var response = await h.PostChatAsync(Wire.ChatJson(), key: null);
        await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("anonymous", record.KeyId);
    }
}
