using System.Net;
using System.Text.Json.Nodes;
using OpenAI.Images;
using Switchyard.Tests.TestKit.Replicate;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// <c>/v1/images/generations</c> on Replicate predictions through the official OpenAI SDK's image client: the request
/// translated to a prediction's input, a prediction that finishes within <c>Prefer: wait</c>, one that is polled from
/// <c>starting</c> through <c>processing</c> to <c>succeeded</c> as the test advances the gateway's clock, outputs as
/// URLs or fetched as bytes (without the API token), costs per image and per second, Replicate's problem details as
/// OpenAI errors, fallback before the prediction is accepted and never after, and cancellation at the deadline and when
/// the client leaves.
/// </summary>
public sealed class ReplicateImagesTests(ReplicateGateway r) : IClassFixture<ReplicateGateway>
{
    private ImageClient Client(string model) => new(model, ReplicateGateway.Key, r.H.SdkOptions());

    private IReadOnlyList<ReplicateRequest> Creates(string model) =>
        [.. r.Fake.Requests.Where(q => q.Method == "POST" && q.Path == $"/v1/models/{model}/predictions")];

    [Fact]
    public async Task Sdk_FinishedWithinWait_UrlsAnswered_CostPerImageFromTheBook()
    {
        var before = Creates("black-forest-labs/flux-schnell").Count;

        var result = await Client("flux-schnell").GenerateImagesAsync("a fox", 2, new ImageGenerationOptions
        {
            Size = GeneratedImageSize.W1792xH1024,
            ResponseFormat = GeneratedImageFormat.Uri,
        });

        var create = Creates("black-forest-labs/flux-schnell")[before];
        var id = r.Fake.Created[^1];
        Assert.Equal(("Bearer " + FakeReplicateUpstream.Token, "wait=30"), (create.Auth, create.Prefer));
        var input = Assert.Single(create.Json.AsObject()).Value!.AsObject(); // "input" only: no version for an official model
        Assert.Equal(("a fox", 2, "16:9", 3), (input["prompt"]!.GetValue<string>(), input["num_outputs"]!.GetValue<int>(), input["aspect_ratio"]!.GetValue<string>(), input.Count));
        Assert.Equal([new Uri($"{r.Fake.BaseUrl}/files/{id}/0.webp"), new Uri($"{r.Fake.BaseUrl}/files/{id}/1.webp")], result.Value.Select(i => i.ImageUri));
        Assert.DoesNotContain(r.Fake.Requests, q => q.Path == $"/v1/predictions/{id}"); // answered in the create: never polled
        var record = await r.RecordOf(result);
        Assert.Equal(("images.generations", "schnell", 200, 6_000L), (record.Operation, record.FinalDeployment, record.Status, record.CostMicros)); // 2 × $0.003
    }

    [Fact]
    public async Task Sdk_SlowPrediction_PolledAsTheClockAdvances_BytesFetchedWithoutToken()
    {
        r.Fake.Script(PredictionScript.Slow);

        var call = Client("flux-schnell").GenerateImageAsync("a lighthouse", new ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Bytes });
        var result = await r.DriveAsync(call);

        var id = r.Fake.Created[^1];
        Assert.Equal(FakeReplicateUpstream.FileBytes(id, 0), result.Value.ImageBytes.ToArray());
        var polls = r.Fake.Requests.Where(q => q.Path == $"/v1/predictions/{id}").ToList();
        Assert.Equal(2, polls.Count); // starting → processing (1st poll) → succeeded (2nd)
        Assert.All(polls, p => Assert.Equal(("GET", "Bearer " + FakeReplicateUpstream.Token), (p.Method, p.Auth)));
        var file = Assert.Single(r.Fake.Requests, q => q.Path == $"/files/{id}/0.webp");
        Assert.Null(file.Auth);
        Assert.Equal(3_000, (await r.RecordOf(result)).CostMicros);
    }

    [Fact]
    public async Task CommunityVersion_CreatedWithVersion_CostBySecondsOfPredictTime()
    {
        using var response = await r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"sdxl-lite","prompt":"a red cube","output_format":"jpeg","user":"u-1"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var create = r.Fake.Requests.Last(q => q.Path == "/v1/predictions");
        Assert.Equal($$$"""{"version":"{{{FakeReplicateUpstream.Version}}}","input":{"prompt":"a red cube","output_format":"jpg"}}""", create.Body);
        var record = await r.RecordOf(response);
        Assert.Equal(("community", 2_500L), (record.FinalDeployment, record.CostMicros)); // 2.5 s of predict_time × $0.001
    }

    [Fact]
    public async Task UnknownField_RefusedByName_NothingSent()
    {
        var before = r.Fake.Requests.Count;

        using var response = await r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-schnell","prompt":"x","style":"vivid"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("style", error["param"]!.GetValue<string>());
        Assert.Equal(before, r.Fake.Requests.Count);
    }

    [Fact]
    public async Task CreateThrottled_FallsBackToTheNextDeployment()
    {
        r.Fake.FailNextCreate(429, """{"title":"Request was throttled.","detail":"Request was throttled. Your rate limit resets in ~30s.","status":429}""");

        // The retry's backoff runs on the gateway's clock, which the test drives.
        using var response = await r.DriveAsync(r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-any","prompt":"a boat"}""")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("dev", "rate_limited"), (Wire.Header(response, "x-switchyard-deployment"), Wire.Header(response, "x-switchyard-fallback-reason")));
        Assert.Equal(25_000, (await r.RecordOf(response)).CostMicros);
    }

    [Fact]
    public async Task CreateRefused422_ProblemDetailInOpenAIEnvelope_NotFallenBack()
    {
        r.Fake.FailNextCreate(422, """{"title":"Input validation failed","detail":"input.prompt: String should have at most 2000 characters","status":422}""");
        var devBefore = Creates("black-forest-labs/flux-dev").Count;

        using var response = await r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-any","prompt":"long"}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Contains("Input validation failed: input.prompt: String should have at most 2000 characters", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(devBefore, Creates("black-forest-labs/flux-dev").Count);
        Assert.Equal("client_error", (await r.RecordOf(response)).ErrorKind);
    }

    [Fact]
    public async Task PredictionFailsAfterAcceptance_ContentPolicy_NeverFallsBack()
    {
        r.Fake.Script(PredictionScript.Nsfw);
        var devBefore = Creates("black-forest-labs/flux-dev").Count;

        using var response = await r.DriveAsync(r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-any","prompt":"forbidden"}""")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("content_policy_violation", error["code"]!.GetValue<string>());
        Assert.Contains("NSFW content detected", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(devBefore, Creates("black-forest-labs/flux-dev").Count);
        var record = await r.RecordOf(response);
        Assert.Equal(("content_policy", "schnell", 0L), (record.ErrorKind, record.FinalDeployment, record.CostMicros)); // no image: nothing per image
    }

    [Fact]
    public async Task PredictionPastTheDeadline_CancelledUpstream_504()
    {
        r.Fake.Script(PredictionScript.Endless);

        using var response = await r.DriveAsync(r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-short","prompt":"slow"}""")));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var id = r.Fake.Created[^1];
        Assert.Contains(r.Fake.Requests, q => q.Method == "POST" && q.Path == $"/v1/predictions/{id}/cancel");
        Assert.Equal("canceled", r.Fake.StatusOf(id));
        Assert.Equal("timeout", (await r.RecordOf(response)).ErrorKind);
    }

    [Fact]
    public async Task ClientLeaves_PredictionCancelledUpstream()
    {
        r.Fake.Script(PredictionScript.Endless);
        var created = r.Fake.Created.Count;
        using var leave = new CancellationTokenSource();

        var call = r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-schnell","prompt":"abandoned"}"""), leave.Token);
        await WaitUntil(() => r.Fake.Created.Count > created);
        var id = r.Fake.Created[^1];
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await WaitUntil(() =>
        {
            r.Clock.Advance(ReplicateGateway.PollInterval); // wakes the poll loop if it is waiting on the clock
            return r.Fake.StatusOf(id) == "canceled";
        });

        Assert.Equal("client_cancelled", (await r.H.UsageWhereAsync(u => u.ErrorKind == "client_cancelled" && u.FinalDeployment == "schnell", "the abandoned request")).ErrorKind);
    }

    [Fact]
    public async Task ClientLeaves_CancelTooLate_BackgroundPollerSettlesTheJobOnce()
    {
        r.Fake.Script(PredictionScript.Stubborn);
        var created = r.Fake.Created.Count;
        using var leave = new CancellationTokenSource();
        var call = r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-short","prompt":"left behind","n":2}"""), leave.Token);
        await WaitUntil(() => r.Fake.Created.Count > created);
        var id = r.Fake.Created[^1];
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var request = await r.H.UsageWhereAsync(u => u.ErrorKind == "client_cancelled" && u.FinalDeployment == "schnell-short", "the abandoned request");
        Assert.Equal(0, request.CostMicros); // not known when the client left

        // The poller's rounds run on the gateway's clock: each step is one round, and the job ends at its second poll.
        await WaitUntil(() =>
        {
            r.Clock.Advance(TimeSpan.FromSeconds(31));
            return r.Fake.StatusOf(id) == "succeeded";
        });

        var job = await r.H.UsageAsync("pred_" + request.RequestId);
        Assert.Equal(("app", "schnell-short", 200, 6_000L), (job.KeyId, job.FinalDeployment, job.Status, job.CostMicros)); // 2 × $0.003
        r.Clock.Advance(TimeSpan.FromSeconds(31)); // another round: settled jobs are not followed, nor counted again
        await r.H.Gateway.FlushUsageAsync();
        Assert.Single(r.H.Gateway.Usage.Store.ReadRecent(1000), u => u.RequestId == "pred_" + request.RequestId);
    }

    /// <summary>Waits for the fake's next answers until <paramref name="done"/> holds (bounded; an event wait, not a timing).</summary>
    private async Task WaitUntil(Func<bool> done)
    {
        var bound = DateTime.UtcNow + GatewayHarness.Bound;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < bound, "the condition did not hold in time");
            await r.Fake.AnsweredAsync(TimeSpan.FromMilliseconds(50));
        }
    }
}
