using System.ClientModel;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;

namespace Switchyard.Tests.EndToEnd.Admin;

/// <summary>
/// Virtual keys through the admin API, end to end: created, used with the OpenAI SDK, rotated, revoked, expired,
/// surviving a restart; the config file's keys listed read-only; the admin role required; the secret shown once
/// and stored, listed or echoed nowhere.
/// </summary>
public sealed class AdminKeysTests
{
    private static async Task<GatewayHarness> StartAsync(TimeProvider? time = null) =>
        await GatewayHarness.StartAsync(env: AdminClient.MasterEnv, time: time);

    private static async Task<ChatCompletion> ChatAsync(GatewayHarness h, string key, string model = "chat") =>
        (await h.Chat(model, key).CompleteChatAsync([new UserChatMessage("hi")])).Value;

    private static async Task AssertRefusedAsync(GatewayHarness h, string key, string code = "invalid_api_key")
    {
        using var response = await h.PostChatAsync(Wire.ChatJson(), key);
        await Wire.AssertOpenAIErrorAsync(response, 401, code: code);
    }

    [Fact]
    public async Task CreateUseRevoke_TheNextRequestIs401()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);

        var (id, secret, created) = await admin.CreateKeyAsync("""{"name":"billing-service","metadata":{"env":"prod"}}""");
        var completion = await ChatAsync(h, secret);
        var (status, revoked) = await admin.PostAsync($"/v1/admin/keys/{id}/revoke");

        Assert.StartsWith("sk-sy-", secret, StringComparison.Ordinal);
        Assert.True(secret.Length >= 6 + 43, secret);
        Assert.Equal("active", created["status"]!.GetValue<string>());
        Assert.NotEmpty(completion.Content);
        Assert.Equal(id, (await h.SingleUsageAsync()).KeyId);
        Assert.Equal(200, status);
        Assert.Equal("revoked", revoked["status"]!.GetValue<string>());
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => ChatAsync(h, secret));
        Assert.Equal(401, refused.Status);
        await AssertRefusedAsync(h, secret);
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task Delete_RevokesLikePostRevoke_AndRevokingTwiceChangesNothing()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"a"}""");

        var (first, body) = await admin.DeleteAsync($"/v1/admin/keys/{id}");
        var (second, again) = await admin.DeleteAsync($"/v1/admin/keys/{id}");
        var (update, refused) = await admin.PatchAsync($"/v1/admin/keys/{id}", """{"name":"b"}""");

        Assert.Equal((200, 200), (first, second));
        Assert.Equal(body["revoked_at"]!.ToJsonString(), again["revoked_at"]!.ToJsonString());
        Assert.Equal(409, update);
        Assert.Equal("key_revoked", refused["error"]!["code"]!.GetValue<string>());
        await AssertRefusedAsync(h, secret);
    }

    [Fact]
    public async Task Rotate_OldSecretIs401_NewOneWorks_SameIdInTheRecords()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (id, oldSecret, _) = await admin.CreateKeyAsync("""{"name":"rotating"}""");

        var (status, rotated) = await admin.PostAsync($"/v1/admin/keys/{id}/rotate");
        var newSecret = rotated["key"]!.GetValue<string>();

        Assert.Equal(200, status);
        Assert.Equal(id, rotated["id"]!.GetValue<string>());
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(newSecret[..10], rotated["prefix"]!.GetValue<string>());
        await AssertRefusedAsync(h, oldSecret);
        await ChatAsync(h, newSecret);
        Assert.Contains(await h.UsageRecordsAsync(2), r => r.KeyId == id && r.Status == 200);
    }

    [Fact]
    public async Task Rotate_WithGrace_BothSecretsWorkUntilTheGraceEnds_ThenOnlyTheNewOne()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(time);
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (id, oldSecret, _) = await admin.CreateKeyAsync("""{"name":"rotating"}""");

        var (_, rotated) = await admin.PostAsync($"/v1/admin/keys/{id}/rotate", """{"grace":300}""");
        var newSecret = rotated["key"]!.GetValue<string>();
        await ChatAsync(h, oldSecret);
        await ChatAsync(h, newSecret);
        Assert.NotNull(rotated["previous_key_valid_until"]!.GetValue<string>());
        time.Advance(TimeSpan.FromSeconds(301));

        await AssertRefusedAsync(h, oldSecret);
        await ChatAsync(h, newSecret);
        var (_, shown) = await admin.GetAsync($"/v1/admin/keys/{id}");
        Assert.Null(shown["previous_key_valid_until"]);
    }

    [Fact]
    public async Task Expiry_OnTheGatewaysClock_AnExpiredKeyIs401ExactlyLikeAnUnknownOne()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(time);
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var createdAt = time.GetUtcNow();
        var (id, secret, created) = await admin.CreateKeyAsync("""{"name":"temp","expires_in":60}""");

        await ChatAsync(h, secret);
        time.Advance(TimeSpan.FromSeconds(61));
        using var expired = await h.PostChatAsync(Wire.ChatJson(), secret);
        using var unknown = await h.PostChatAsync(Wire.ChatJson(), "sk-sy-" + new string('x', 43));

        Assert.Equal(createdAt.AddSeconds(60).ToUnixTimeMilliseconds(), DateTimeOffset.Parse(created["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
        Assert.Equal(401, (int)expired.StatusCode);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await expired.Content.ReadAsStringAsync());
        var (_, shown) = await admin.GetAsync($"/v1/admin/keys/{id}");
        Assert.Equal("expired", shown["status"]!.GetValue<string>());

        // Extending the expiry brings it back: expiry is judged per request, not by a timer.
        var (status, _) = await admin.PatchAsync($"/v1/admin/keys/{id}", """{"expires_at":null}""");
        Assert.Equal(200, status);
        await ChatAsync(h, secret);
    }

    [Fact]
    public async Task Restart_KeysTeamsAndCustomersSurvive_RevokedKeysStayRevoked()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        Assert.Equal(201, (await admin.PostAsync("/v1/admin/teams", """{"id":"search","name":"Search","allowed_models":["chat"],"limits":{"rpm":600}}""")).Status);
        Assert.Equal(201, (await admin.PostAsync("/v1/admin/customers", """{"id":"acme","team":"search","budget":{"limit_usd":25.5,"period":"monthly"}}""")).Status);
        var (kept, keptSecret, _) = await admin.CreateKeyAsync("""{"name":"kept","team":"search","limits":{"tpm":1000},"budget":{"limit_usd":5,"period":"daily","alert_at":[0.8]}}""");
        var (gone, goneSecret, _) = await admin.CreateKeyAsync("""{"name":"gone"}""");
        await admin.PostAsync($"/v1/admin/keys/{gone}/revoke");
        var (_, before) = await admin.GetAsync($"/v1/admin/keys/{kept}");

        await h.RestartGatewayAsync(GatewayHarness.DefaultYaml);

        var (_, after) = await admin.GetAsync($"/v1/admin/keys/{kept}");
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        await ChatAsync(h, keptSecret);
        await AssertRefusedAsync(h, goneSecret);
        var (_, team) = await admin.GetAsync("/v1/admin/teams/search");
        Assert.Equal(600, team["limits"]!["rpm"]!.GetValue<int>());
        var (_, customer) = await admin.GetAsync("/v1/admin/customers/acme");
        Assert.Equal(25.5m, customer["budget"]!["limit_usd"]!.GetValue<decimal>());
        Assert.Equal("search", customer["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConfigKeys_AreListedReadOnly_UpdateRotateRevokeAre409()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);

        var (_, list) = await admin.GetAsync("/v1/admin/keys");
        var app = list["data"]!.AsArray().Single(k => k!["id"]!.GetValue<string>() == "app")!;
        var refusals = new[]
        {
            await admin.PatchAsync("/v1/admin/keys/app", """{"name":"x"}"""),
            await admin.PostAsync("/v1/admin/keys/app/rotate"),
            await admin.PostAsync("/v1/admin/keys/app/revoke"),
            await admin.DeleteAsync("/v1/admin/keys/app"),
        };

        Assert.Equal("config", app["source"]!.GetValue<string>());
        Assert.Null(app["prefix"]);
        Assert.Contains(list["data"]!.AsArray(), k => k!["id"]!.GetValue<string>() == "ops" && k["role"]!.GetValue<string>() == "operator");
        foreach (var (status, body) in refusals)
        {
            Assert.Equal(409, status);
            Assert.Equal("key_read_only", body["error"]!["code"]!.GetValue<string>());
            Assert.Contains("config file", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        await ChatAsync(h, GatewayHarness.ClientKey); // still works
    }

    [Fact]
    public async Task Secret_IsShownOnce_AndNeverStoredListedOrEchoed()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (id, first, _) = await admin.CreateKeyAsync("""{"name":"secretive"}""");
        await ChatAsync(h, first);
        var (_, rotated) = await admin.PostAsync($"/v1/admin/keys/{id}/rotate", """{"grace":60}""");
        var second = rotated["key"]!.GetValue<string>();
        await ChatAsync(h, second);
        using (var bad = await h.PostChatAsync(Wire.ChatJson(), second + "x"))
        {
            Assert.DoesNotContain(second, await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var (_, list) = await admin.GetAsync("/v1/admin/keys");
        var (_, shown) = await admin.GetAsync($"/v1/admin/keys/{id}");
        var (_, updated) = await admin.PatchAsync($"/v1/admin/keys/{id}", """{"name":"renamed"}""");
        var (_, revoked) = await admin.PostAsync($"/v1/admin/keys/{id}/revoke");
        var data = await h.DataDirectoryBytesAsync();

        foreach (var secret in new[] { first, second })
        {
            foreach (var body in new[] { list, shown, updated, revoked })
            {
                Assert.DoesNotContain(secret, body.ToJsonString(), StringComparison.Ordinal);
                Assert.DoesNotContain(secret[12..], body.ToJsonString(), StringComparison.Ordinal);
            }

            Assert.Equal(-1, data.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
            Assert.Equal(-1, data.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret[10..])));
        }

        Assert.Null(shown["key"]);
        Assert.Equal(second[..10], shown["prefix"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownKey_Is404_NotJson_Is400()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);

        var (get, getBody) = await admin.GetAsync("/v1/admin/keys/key_nope");
        var (rotate, _) = await admin.PostAsync("/v1/admin/keys/key_nope/rotate");
        var (bad, badBody) = await admin.PostAsync("/v1/admin/keys", "[1,2]");

        Assert.Equal((404, 404, 400), (get, rotate, bad));
        Assert.Equal("key_not_found", getBody["error"]!["code"]!.GetValue<string>());
        Assert.Equal("invalid_json", badBody["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task AdminKeys_OnlyTheMasterKeyMintsAdminSecrets()
    {
        await using var h = await StartAsync();
        var master = new AdminClient(h, AdminClient.MasterKey);
        var (adminId, adminSecret, _) = await master.CreateKeyAsync("""{"name":"second admin","role":"admin"}""");
        var second = new AdminClient(h, adminSecret);

        var (client, _) = await second.PostAsync("/v1/admin/keys", """{"name":"made by an admin key"}""");
        var (admin, refused) = await second.PostAsync("/v1/admin/keys", """{"name":"another admin","role":"admin"}""");
        var (rotate, _) = await second.PostAsync($"/v1/admin/keys/{adminId}/rotate");
        var (list, _) = await second.GetAsync("/v1/admin/keys");

        Assert.Equal((201, 403, 403, 200), (client, admin, rotate, list));
        Assert.Equal("master_key_required", refused["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenGateway_CreatingAKey_Is409_ItWouldLockTheGatewayWithNoAdmin()
    {
        await using var h = await GatewayHarness.StartAsync("""
            models: {}
            """, fakes: 0);

        var (status, body) = await new AdminClient(h, null).PostAsync("/v1/admin/keys", """{"name":"a"}""");

        Assert.Equal(409, status);
        Assert.Equal("gateway_open", body["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_PagesWithLimitAndAfter_FiltersByTeamAndCustomer()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        await admin.PostAsync("/v1/admin/teams", """{"id":"t1","name":"T1"}""");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await admin.CreateKeyAsync($$"""{"name":"k{{i}}","team":"t1"{{(i == 0 ? ",\"customer\":\"acme\"" : "")}}}""")).Id);
        }

        var (_, page1) = await admin.GetAsync("/v1/admin/keys?limit=3");
        var (_, page2) = await admin.GetAsync($"/v1/admin/keys?limit=3&after={page1["last_id"]}");
        var (_, team) = await admin.GetAsync("/v1/admin/keys?team=t1");
        var (_, customer) = await admin.GetAsync("/v1/admin/keys?customer=acme");
        var (badLimit, _) = await admin.GetAsync("/v1/admin/keys?limit=1000");

        var all = page1["data"]!.AsArray().Concat(page2["data"]!.AsArray()).Select(k => k!["id"]!.GetValue<string>()).ToList();
        Assert.True(page1["has_more"]!.GetValue<bool>());
        Assert.False(page2["has_more"]!.GetValue<bool>());
        Assert.Equal(ids.Append("app").Append("ops").Order(StringComparer.Ordinal), all);
        Assert.Equal(ids.Order(StringComparer.Ordinal), team["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()));
        Assert.Equal([ids[0]], customer["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()));
        Assert.Equal(400, badLimit);
    }

    [Fact]
    public async Task Update_ChangesOnlyWhatItSets_AndNullClears()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (id, _, _) = await admin.CreateKeyAsync("""
            {"name":"a","allowed_models":["chat"],"metadata":{"env":"dev"},"limits":{"rpm":5},"allow_routing_overrides":false,
             "budget":{"limit_usd":10,"period":"weekly","time_zone":"Europe/Paris","alert_at":[0.5,0.9],"streams":"finish","max_reservation_usd":0.25,"on_unreachable":"local"}}
            """);

        var (status, updated) = await admin.PatchAsync($"/v1/admin/keys/{id}", """{"name":"b","limits":null}""");

        Assert.Equal(200, status);
        Assert.Equal("b", updated["name"]!.GetValue<string>());
        Assert.Null(updated["limits"]);
        Assert.Equal(["chat"], updated["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("dev", updated["metadata"]!["env"]!.GetValue<string>());
        Assert.False(updated["allow_routing_overrides"]!.GetValue<bool>());
        var budget = updated["budget"]!;
        Assert.Equal(10m, budget["limit_usd"]!.GetValue<decimal>());
        Assert.Equal("weekly", budget["period"]!.GetValue<string>());
        Assert.Equal("Europe/Paris", budget["time_zone"]!.GetValue<string>());
        Assert.Equal([0.5, 0.9], budget["alert_at"]!.AsArray().Select(a => a!.GetValue<double>()));
        Assert.Equal("finish", budget["streams"]!.GetValue<string>());
        Assert.Equal(0.25m, budget["max_reservation_usd"]!.GetValue<decimal>());
        Assert.Equal("local", budget["on_unreachable"]!.GetValue<string>());
    }
}
