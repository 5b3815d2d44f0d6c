#pragma warning disable OPENAI001 // the SDK marks its VideoClient as an evaluation API
using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Switchyard.Tests.EndToEnd.Admin;
using Switchyard.Tests.TestKit.Media;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// <c>/v1/videos</c> through the official OpenAI SDK's <c>VideoClient</c>, end to end: sora-2 passed through to an
/// OpenAI-compatible upstream, Veo translated to the Gemini API's long-running operations, both answered in OpenAI's
/// video object under the gateway's own id; the download relayed as it arrives; jobs scoped to the creating key.
/// </summary>
public sealed class VideosTests
{
    [Fact]
    public async Task Sora_ViaSdk_CreatePollDownloadListDelete_UnderTheGatewaysId()
    {
        await using var v = await VideoGateway.StartAsync();
        var client = v.Client();

        var created = await v.CreateAsync("""{"model":"sora-2","prompt":"A calico cat on a windowsill","seconds":"8","size":"1280x720"}""");

        var id = created["id"]!.GetValue<string>();
        Assert.StartsWith("video_", id, StringComparison.Ordinal);
        Assert.NotEqual(v.OnlyUpstreamJob, id); // the provider's id never reaches the client
        Assert.Equal(("video", "queued", "sora-2", "8", "1280x720"), (created["object"]!.GetValue<string>(), created["status"]!.GetValue<string>(),
            created["model"]!.GetValue<string>(), created["seconds"]!.GetValue<string>(), created["size"]!.GetValue<string>()));
        var sent = v.Fake.Requests.Single(r => r.Path == "/openai/v1/videos").Json;
        Assert.Equal("sora-2", sent["model"]!.GetValue<string>());
        var createRecord = await v.H.UsageWhereAsync(r => r.Operation == "videos", "the create");
        Assert.Equal((0L, "sora"), (createRecord.CostMicros, createRecord.FinalDeployment)); // billed when it completes

        v.Fake.Start(v.OnlyUpstreamJob);
        Assert.Equal("in_progress", VideoGateway.Json(await client.GetVideoAsync(id))["status"]!.GetValue<string>());
        Assert.Empty(await v.CompletionsAsync(id));

        v.Fake.Complete(v.OnlyUpstreamJob);
        var done = VideoGateway.Json(await client.GetVideoAsync(id));
        Assert.Equal(("completed", 100), (done["status"]!.GetValue<string>(), done["progress"]!.GetValue<int>()));
        var download = await client.DownloadVideoAsync(id, "video");
        Assert.Equal(FakeVideoUpstream.VideoChunks.SelectMany(c => c).ToArray(), download.GetRawResponse().Content.ToArray());
        Assert.True(download.GetRawResponse().Headers.TryGetValue("Content-Type", out var type));
        Assert.Equal("video/mp4", type);
        Assert.Equal("?variant=video", v.Fake.Requests.Last().Query);

        VideoGateway.Json(await client.GetVideoAsync(id)); // polled again after completion: answered from the store
        var completion = Assert.Single(await v.CompletionsAsync(id));
        Assert.Equal(("videos.completed", 800_000L, "app"), (completion.Operation, completion.CostMicros, completion.KeyId)); // 8 s at $0.10

        var page = await FirstPageAsync(client);
        Assert.Equal(id, page["data"]![0]!["id"]!.GetValue<string>());
        var deleted = VideoGateway.Json(await client.DeleteVideoAsync(id));
        Assert.Equal((id, "video.deleted", true), (deleted["id"]!.GetValue<string>(), deleted["object"]!.GetValue<string>(), deleted["deleted"]!.GetValue<bool>()));
        Assert.Empty(v.Fake.Jobs); // deleted at OpenAI too
        Assert.Equal(404, (await Assert.ThrowsAsync<ClientResultException>(() => client.GetVideoAsync(id))).Status);
    }

    [Fact]
    public async Task Sora_Multipart_InputReferenceRelayedAsAFile()
    {
        await using var v = await VideoGateway.StartAsync();
        byte[] image = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4];
        using var form = new MultipartFormDataContent
        {
            { new StringContent("sora-2"), "model" },
            { new StringContent("Animate this"), "prompt" },
            { new StringContent("4"), "seconds" },
        };
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "input_reference", "first.png");
        var bytes = await form.ReadAsByteArrayAsync();

        var result = await v.Client().CreateVideoAsync(BinaryContent.Create(BinaryData.FromBytes(bytes)), form.Headers.ContentType!.ToString());

        Assert.Equal("queued", VideoGateway.Json(result)["status"]!.GetValue<string>());
        var sent = v.Fake.Requests.Single(r => r.Path == "/openai/v1/videos");
        Assert.Equal(("sora-2", "Animate this", "4"), (sent.Fields["model"], sent.Fields["prompt"], sent.Fields["seconds"]));
        var reference = Assert.Single(sent.Files);
        Assert.Equal(("input_reference", "first.png", "image/png"), (reference.Name, reference.FileName, reference.ContentType));
        Assert.Equal(image, reference.Bytes);
    }

    [Fact]
    public async Task Veo_ViaSdk_TranslatedToALongRunningOperation_StatusMapped_DownloadFollowsTheRedirectWithoutTheKey()
    {
        await using var v = await VideoGateway.StartAsync();
        var client = v.Client();

        var created = await v.CreateAsync("""{"model":"veo-3","prompt":"Waves at dusk","seconds":"8","size":"1280x720"}""");

        var sent = v.Fake.Requests.Single(r => r.Path.EndsWith(":predictLongRunning", StringComparison.Ordinal));
        Assert.Equal("/gemini/v1beta/models/veo-3.0-generate-001:predictLongRunning", sent.Path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"instances":[{"prompt":"Waves at dusk"}],"parameters":{"durationSeconds":8,"aspectRatio":"16:9","resolution":"720p"}}
            """), sent.Json));
        var id = created["id"]!.GetValue<string>();
        Assert.Equal(("queued", "veo-3"), (created["status"]!.GetValue<string>(), created["model"]!.GetValue<string>()));
        Assert.Equal("in_progress", VideoGateway.Json(await client.GetVideoAsync(id))["status"]!.GetValue<string>()); // not done yet

        v.Fake.Complete(v.OnlyUpstreamJob);
        Assert.Equal("completed", VideoGateway.Json(await client.GetVideoAsync(id))["status"]!.GetValue<string>());
        var download = await client.DownloadVideoAsync(id, "video");

        Assert.Equal(FakeVideoUpstream.VideoChunks.SelectMany(c => c).ToArray(), download.GetRawResponse().Content.ToArray());
        var fileCall = v.Fake.Requests.Single(r => r.Path.EndsWith(":download", StringComparison.Ordinal));
        Assert.Equal(FakeVideoUpstream.Key, fileCall.Auth); // the Gemini API's own host gets the key...
        Assert.Equal("", v.Fake.Requests.Single(r => r.Path.StartsWith("/storage/", StringComparison.Ordinal)).Auth); // ...its storage never
        Assert.Equal(3_200_000, Assert.Single(await v.CompletionsAsync(id)).CostMicros); // 8 s at $0.40
        Assert.Equal(400, (await Assert.ThrowsAsync<ClientResultException>(() => client.DownloadVideoAsync(id, "thumbnail"))).Status);
    }

    [Fact]
    public async Task Veo_FailedJob_ReportsTheErrorAndCostsNothing()
    {
        await using var v = await VideoGateway.StartAsync();
        var id = (await v.CreateAsync("""{"model":"veo-3","prompt":"x"}"""))["id"]!.GetValue<string>();
        Assert.Equal(4, v.Fake.Requests[0].Json["parameters"]!["durationSeconds"]!.GetValue<int>()); // OpenAI's default length, asked for explicitly

        v.Fake.Fail(v.OnlyUpstreamJob);
        var failed = VideoGateway.Json(await v.Client().GetVideoAsync(id));

        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal(("INVALID_ARGUMENT", "The prompt could not be submitted."), (failed["error"]!["code"]!.GetValue<string>(), failed["error"]!["message"]!.GetValue<string>()));
        var completion = Assert.Single(await v.CompletionsAsync(id));
        Assert.Equal((0L, "job_failed"), (completion.CostMicros, completion.ErrorKind));
        Assert.Equal(400, (await Assert.ThrowsAsync<ClientResultException>(() => v.Client().DownloadVideoAsync(id, "video"))).Status);
    }

    [Fact]
    public async Task Veo_ASizeItHasNot_IsRefusedByName_NothingSent()
    {
        await using var v = await VideoGateway.StartAsync();

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => v.CreateAsync("""{"model":"veo-3","prompt":"x","size":"1792x1024"}"""));

        Assert.Equal(400, refused.Status);
        Assert.Contains("size", refused.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Empty(v.Fake.Requests);
    }

    [Fact]
    public async Task AnotherKey_GetsNotFound_ForEveryCall_AndAnEmptyList()
    {
        await using var v = await VideoGateway.StartAsync();
        var id = (await v.CreateAsync("""{"model":"sora-2","prompt":"mine"}"""))["id"]!.GetValue<string>();
        var (_, other, _) = await new AdminClient(v.H, AdminClient.MasterKey).CreateKeyAsync("""{"name":"other"}""");
        var stranger = v.Client(other);

        foreach (var call in new Func<Task>[] { () => stranger.GetVideoAsync(id), () => stranger.DownloadVideoAsync(id, "video"), () => stranger.DeleteVideoAsync(id) })
        {
            var refused = await Assert.ThrowsAsync<ClientResultException>(call);
            Assert.Equal(404, refused.Status);
            var error = JsonNode.Parse(refused.GetRawResponse()!.Content.ToString())!["error"]!;
            Assert.Equal(("invalid_request_error", $"Video with id '{id}' not found."), (error["type"]!.GetValue<string>(), error["message"]!.GetValue<string>()));
        }

        Assert.Empty((await FirstPageAsync(stranger))["data"]!.AsArray());
        Assert.Single(v.Fake.Requests); // the create: none of the stranger's calls reached the provider
        Assert.Equal("queued", VideoGateway.Json(await v.Client().GetVideoAsync(id))["status"]!.GetValue<string>()); // still there for its owner
    }

    [Fact]
    public async Task Download_RelayedAsItArrives_NotBufferedWhole()
    {
        await using var v = await VideoGateway.StartAsync();
        var id = (await v.CreateAsync("""{"model":"sora-2","prompt":"stream me"}"""))["id"]!.GetValue<string>();
        v.Fake.Complete(v.OnlyUpstreamJob);
        v.Fake.HoldContent();

        using var request = new HttpRequestMessage(HttpMethod.Get, v.H.Url($"/v1/videos/{id}/content"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var response = await v.H.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[FakeVideoUpstream.VideoChunks[0].Length];
        using (var bounded = new CancellationTokenSource(GatewayHarness.Bound))
        {
            await body.ReadExactlyAsync(first, bounded.Token); // arrives while the upstream still holds the rest
        }

        Assert.Equal(FakeVideoUpstream.VideoChunks[0], first);
        v.Fake.ReleaseContent();
        using var rest = new MemoryStream();
        await body.CopyToAsync(rest);
        Assert.Equal(FakeVideoUpstream.VideoChunks.Skip(1).SelectMany(c => c).ToArray(), rest.ToArray());
        Assert.Equal("videos.content", (await v.H.UsageAsync(GatewayHarness.RecordId(response))).Operation);
    }

    [Fact]
    public async Task Remix_ViaSdk_AtTheOwningDeployment_ANewJobOfTheSameLength_VeoRefusesIt()
    {
        await using var v = await VideoGateway.StartAsync();
        var client = v.Client();
        var source = (await v.CreateAsync("""{"model":"sora-2","prompt":"a cat","seconds":"8"}"""))["id"]!.GetValue<string>();
        v.Fake.Complete(v.OnlyUpstreamJob);

        var remix = VideoGateway.Json(await client.CreateVideoRemixAsync(source, BinaryContent.Create(BinaryData.FromString("""{"prompt":"now in watercolor"}""")), "application/json"));

        var id = remix["id"]!.GetValue<string>();
        Assert.StartsWith("video_", id, StringComparison.Ordinal);
        Assert.NotEqual(source, id);
        Assert.Equal((source, "queued", "8"), (remix["remixed_from_video_id"]!.GetValue<string>(), remix["status"]!.GetValue<string>(), remix["seconds"]!.GetValue<string>()));
        var sent = v.Fake.Requests.Single(r => r.Path.EndsWith("/remix", StringComparison.Ordinal));
        Assert.Equal(("/openai/v1/videos/video_up1/remix", "now in watercolor"), (sent.Path, sent.Json["prompt"]!.GetValue<string>()));
        v.Fake.Complete("video_up2");
        Assert.Equal("completed", VideoGateway.Json(await client.GetVideoAsync(id))["status"]!.GetValue<string>());
        Assert.Equal(800_000, Assert.Single(await v.CompletionsAsync(id)).CostMicros); // its own 8 s, recorded once
        Assert.Equal("videos.remix", (await v.H.UsageWhereAsync(r => r.Operation == "videos.remix", "the remix")).Operation);

        var veo = (await v.CreateAsync("""{"model":"veo-3","prompt":"x"}"""))["id"]!.GetValue<string>();
        v.Fake.Complete(v.Fake.Jobs.Single(j => j.Model.StartsWith("veo", StringComparison.Ordinal)).Id);
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CreateVideoRemixAsync(veo, BinaryContent.Create(BinaryData.FromString("""{"prompt":"y"}""")), "application/json"));
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task Explain_CoversTheCreate_WithTheVideosCapability()
    {
        await using var v = await VideoGateway.StartAsync();

        using var explained = await v.H.SendAsync(v.H.Post("/v1/route/explain/v1/videos", """{"model":"video-any","prompt":"x"}""", GatewayHarness.OperatorKey));
        var plan = JsonNode.Parse(await explained.Content.ReadAsStringAsync())!;
        using var chat = await v.H.SendAsync(v.H.Post("/v1/chat/completions", """{"model":"sora-2","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, explained.StatusCode);
        Assert.Contains("sora-down", plan.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("veo", plan.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, chat.StatusCode); // a sora deployment serves videos, never chat
        Assert.Contains("no capability: chat", await chat.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(v.Fake.Requests);
    }

    /// <summary>The first page of the key's videos, as the SDK's list call returns it.</summary>
    internal static async Task<JsonNode> FirstPageAsync(OpenAI.Videos.VideoClient client)
    {
        await foreach (var page in client.GetVideosAsync(limit: 10, order: null, after: null).GetRawPagesAsync())
        {
            return VideoGateway.Json(page);
        }

        throw new InvalidOperationException("no page");
    }
}
