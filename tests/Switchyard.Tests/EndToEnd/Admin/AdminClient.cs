using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.EndToEnd.Admin;

/// <summary>Calls the admin API of a harness's gateway with a given key and returns the status and the JSON body.</summary>
internal sealed class AdminClient(GatewayHarness h, string? key)
{
    /// <summary>The master key the admin tests start their gateways with (<c>SWITCHYARD_MASTER_KEY</c>).</summary>
    public const string MasterKey = "sk-master-admin-e2e-5c1d";

    /// <summary>The environment that sets <see cref="MasterKey"/>.</summary>
    public static Dictionary<string, string> MasterEnv => new() { ["SWITCHYARD_MASTER_KEY"] = MasterKey };

    public Task<(int Status, JsonNode Body)> PostAsync(string path, string? json = null) => SendAsync(HttpMethod.Post, path, json);

    public Task<(int Status, JsonNode Body)> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<(int Status, JsonNode Body)> PatchAsync(string path, string json) => SendAsync(HttpMethod.Patch, path, json);

    public Task<(int Status, JsonNode Body)> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    /// <summary>Creates a key (asserting 201) and returns its id and secret.</summary>
    public async Task<(string Id, string Secret, JsonNode Body)> CreateKeyAsync(string json)
    {
        var (status, body) = await PostAsync("/v1/admin/keys", json);
        Assert.True(status == 201, $"expected 201, got {status}: {body.ToJsonString()}");
        return (body["id"]!.GetValue<string>(), body["key"]!.GetValue<string>(), body);
    }

    public async Task<(int Status, JsonNode Body)> SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, h.Url(path));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await h.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonNode.Parse(text)!);
    }
}
