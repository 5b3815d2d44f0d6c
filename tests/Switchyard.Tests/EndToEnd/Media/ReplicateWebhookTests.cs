using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Switchyard.Tests.TestKit.Replicate;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// Replicate's webhooks at <c>POST /v1/webhooks/replicate/{deployment}</c>: predictions are created with the gateway's
/// webhook and the <c>completed</c> filter; a delivery signed as Replicate signs them (HMAC-SHA256 over
/// <c>id.timestamp.body</c> with the <c>whsec_</c> key, computed here independently of the gateway) updates the stored
/// job and settles its usage exactly once; a forged, stale, unsigned, oversized or unknown delivery changes nothing.
/// </summary>
public sealed class ReplicateWebhookTests(ReplicateGateway r) : IClassFixture<ReplicateGateway>
{
    [Fact]
    public async Task Create_CarriesTheGatewaysWebhook_CompletedOnly_RequestThatSawTheEndKeepsTheCost()
    {
        using var response = await r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-hooked","prompt":"a hook"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = r.Fake.Created[^1];
        var create = r.Fake.Requests.Last(q => q.Method == "POST" && q.Path.EndsWith("/predictions", StringComparison.Ordinal)).Json;
        Assert.Equal("https://gw.example/v1/webhooks/replicate/hooked", create["webhook"]!.GetValue<string>());
        Assert.Equal(["completed"], create["webhook_events_filter"]!.AsArray().Select(e => e!.GetValue<string>()));
        var requestId = GatewayHarness.RecordId(response);
        Assert.Equal(3_000, (await r.RecordOf(response)).CostMicros);

        // Replicate's own "completed" delivery arrives afterwards: acknowledged, and not counted a second time.
        using var delivery = await DeliverAsync("hooked", r.Fake.PredictionJson(id));
        Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);
        await r.H.Gateway.FlushUsageAsync();
        Assert.DoesNotContain(r.H.Gateway.Usage.Store.ReadRecent(1000), u => u.RequestId == "pred_" + requestId);
    }

    [Fact]
    public async Task AbandonedAtTheDeadline_WebhookSettlesTheJobOnce_UnderTheCreatingKey()
    {
        r.Fake.Script(PredictionScript.Endless);
        using var response = await r.DriveAsync(r.H.SendAsync(r.H.Post("/v1/images/generations", """{"model":"flux-hooked","prompt":"too slow"}""")));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var requestId = GatewayHarness.RecordId(response);
        Assert.Equal(0, (await r.RecordOf(response)).CostMicros); // the job's cost is not known until it ends
        var id = r.Fake.Created[^1];

        // It had finished upstream before the cancel reached it: Replicate reports it succeeded.
        var finished = $$$"""{"id":"{{{id}}}","status":"succeeded","output":["{{{r.Fake.BaseUrl}}}/files/{{{id}}}/0.webp"],"error":null,"metrics":{"predict_time":3.1}}""";
        using (var first = await DeliverAsync("hooked", finished))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var retried = await DeliverAsync("hooked", finished, webhookId: "msg_retry_same"))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        var job = await r.H.UsageAsync("pred_" + requestId);
        Assert.Equal(("app", "images.generations", "hooked", 200, 3_000L), (job.KeyId, job.Operation, job.FinalDeployment, job.Status, job.CostMicros));
        await r.H.Gateway.FlushUsageAsync();
        Assert.Single(r.H.Gateway.Usage.Store.ReadRecent(1000), u => u.RequestId == "pred_" + requestId);
    }

    [Fact]
    public async Task ForgedOrStaleOrUnsigned_401_UnknownJob_404_Oversized_413()
    {
        var body = """{"id":"nobody-made-this","status":"succeeded","output":[],"error":null,"metrics":{}}""";

        using var forged = await DeliverAsync("hooked", body, secret: "whsec_" + Convert.ToBase64String(new byte[24]));
        using var stale = await DeliverAsync("hooked", body, at: r.Clock.GetUtcNow().AddMinutes(-6));
        using var unsigned = await r.H.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, r.H.Url("/v1/webhooks/replicate/hooked")) { Content = new StringContent(body) });
        using var unknown = await DeliverAsync("hooked", body);
        using var tooBig = await DeliverAsync("hooked", "{\"id\":\"" + new string('x', 1024 * 1024) + "\"}");
        using var noHooks = await DeliverAsync("schnell", body);

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.Unauthorized],
            [forged.StatusCode, stale.StatusCode, unsigned.StatusCode, unknown.StatusCode, tooBig.StatusCode, noHooks.StatusCode]);
        Assert.Contains("five minutes", (await stale.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Contains("no webhook-signature matches", (await forged.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Contains("webhook_secret", (await noHooks.Content.ReadAsStringAsync()), StringComparison.Ordinal); // its provider has no secret
    }

    /// <summary>POSTs <paramref name="body"/> as Replicate would, signed with <paramref name="secret"/> at <paramref name="at"/> (now by default).</summary>
    private async Task<HttpResponseMessage> DeliverAsync(string deployment, string body, string? secret = null, DateTimeOffset? at = null, string webhookId = "msg_2f9Qz")
    {
        var timestamp = (at ?? r.Clock.GetUtcNow()).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var key = Convert.FromBase64String((secret ?? ReplicateGateway.WebhookSecret)["whsec_".Length..]);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, r.H.Url("/v1/webhooks/replicate/" + deployment))
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("webhook-id", webhookId);
        request.Headers.Add("webhook-timestamp", timestamp);
        request.Headers.Add("webhook-signature", "v1,bm90LXRoaXMtb25l v1," + signature); // two listed, as after a key rotation
        return await r.H.Http.SendAsync(request);
    }
}
