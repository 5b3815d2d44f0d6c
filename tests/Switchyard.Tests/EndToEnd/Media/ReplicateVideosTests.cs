using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Switchyard.Tests.TestKit.Replicate;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// A Replicate video model behind <c>/v1/videos</c>: the create is a prediction taken in as a video job under the
/// gateway's id (no <c>Prefer: wait</c>), each client poll reads the prediction (<c>starting</c> → queued,
/// <c>processing</c> → in_progress, <c>succeeded</c> → completed), the content is the output file fetched without the
/// token, and the job is billed once per second of video at its end.
/// </summary>
public sealed class ReplicateVideosTests(ReplicateGateway r) : IClassFixture<ReplicateGateway>
{
    [Fact]
    public async Task Create_PolledAsAVideoJob_ContentWithoutToken_BilledPerSecondOnce()
    {
        r.Fake.Script(PredictionScript.Slow);

        using var create = await r.H.SendAsync(r.H.Post("/v1/videos", """{"model":"kling","prompt":"a wave","seconds":"5","size":"1280x720"}"""));

        Assert.True(create.StatusCode == HttpStatusCode.OK, await create.Content.ReadAsStringAsync());
        var video = JsonNode.Parse(await create.Content.ReadAsStringAsync())!;
        var id = video["id"]!.GetValue<string>();
        Assert.StartsWith("video_", id, StringComparison.Ordinal);
        Assert.Equal("queued", video["status"]!.GetValue<string>());
        var prediction = r.Fake.Created[^1];
        var sent = r.Fake.Requests.Last(q => q.Path == "/v1/models/kwaivgi/kling-v2.1/predictions");
        Assert.Equal("""{"input":{"prompt":"a wave","duration":5,"aspect_ratio":"16:9"}}""", sent.Body);
        Assert.Null(sent.Prefer);

        Assert.Equal("in_progress", (await GetJsonAsync($"/v1/videos/{id}"))["status"]!.GetValue<string>());
        Assert.Equal("completed", (await GetJsonAsync($"/v1/videos/{id}"))["status"]!.GetValue<string>());
        using var content = await r.H.SendAsync(Get($"/v1/videos/{id}/content"));
        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
        Assert.Equal(FakeReplicateUpstream.FileBytes(prediction, 0), await content.Content.ReadAsByteArrayAsync());
        Assert.Null(r.Fake.Requests.Single(q => q.Path == $"/files/{prediction}/0.mp4").Auth);

        var completed = await r.H.UsageWhereAsync(u => u.Operation == "videos.completed" && u.FinalDeployment == "kling", "the completed job");
        Assert.Equal(("app", 250_000L), (completed.KeyId, completed.CostMicros)); // 5 s × $0.05
    }

    [Fact]
    public async Task Upload_Or_UnknownSize_RefusedByName_NothingSent()
    {
        var before = r.Fake.Requests.Count;

        using var size = await r.H.SendAsync(r.H.Post("/v1/videos", """{"model":"kling","prompt":"x","size":"640x480"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, size.StatusCode);
        Assert.Equal("size", JsonNode.Parse(await size.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());
        Assert.Equal(before, r.Fake.Requests.Count);
    }

    private HttpRequestMessage Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, r.H.Url(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        return request;
    }

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await r.H.SendAsync(Get(path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
