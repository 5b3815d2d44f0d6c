using System.Net.Http.Headers;
using System.Text;
using Switchyard.Tests.EndToEnd;

namespace Switchyard.Tests.Performance;

/// <summary>Tests that count every byte the process allocates: nothing else may run beside them.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>
/// The allocation budget of the passthrough path, so gains stay (issue 15). Through Kestrel end to end: the same
/// request is sent to the fake upstream directly and through the gateway, sequentially, and the least
/// allocations per request of several rounds are compared (<see cref="GC.GetTotalAllocatedBytes"/>, every thread: the gateway's
/// relay, Kestrel, its HttpClient and the usage writer's threads). The client's and the fake's own allocations are
/// in both runs and cancel; what is left is what the gateway adds per request. The budgets are the figures
/// measured when they were set plus about 15%: a change that allocates more per request fails here and has to
/// say why in bench/README.md, or give the bytes back.
/// </summary>
[Collection(nameof(AllocationCollection))]
public sealed class AllocationBudgetTests
{
    /// <summary>Bytes the gateway adds per non-streaming passthrough request (measured 2026-12-06: see bench/README.md).</summary>
    private const double JsonBudget = 7_000;

    /// <summary>Bytes the gateway adds per streamed passthrough request (measured 2026-12-06: see bench/README.md).</summary>
    private const double SseBudget = 7_200;

    private const int Warm = 400;
    private const int Rounds = 9;
    private const int PerRound = 100;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Passthrough_AddsNoMoreThanItsBudgetPerRequest(bool stream)
    {
        await using var h = await GatewayHarness.StartAsync();
        using var client = new HttpClient { Timeout = GatewayHarness.Bound };
        // The gateway asks the upstream for the usage chunk of a stream (include_usage); so does the direct
        // request, so that the fake does the same work in both runs.
        var direct = Request(h.A.UrlFor("chat/completions"), GatewayHarness.ProviderKey, "upstream-model-a", stream, includeUsage: stream);
        var gateway = Request(h.Url("/v1/chat/completions"), GatewayHarness.ClientKey, "solo", stream);

        await SendAsync(client, direct, Warm);
        await SendAsync(client, gateway, Warm);
        var viaGateway = new List<double>();
        var straight = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            viaGateway.Add(await BytesPerRequestAsync(client, gateway));
            straight.Add(await BytesPerRequestAsync(client, direct));
        }

        // The least of each: whatever else the process does (a timer, a list that doubles, the JIT's tiering)
        // only adds bytes to a round, never takes any away.
        var added = viaGateway.Min() - straight.Min();
        var budget = stream ? SseBudget : JsonBudget;
        Assert.True(added <= budget, $"the gateway adds {added:0} B per {(stream ? "streamed" : "JSON")} request (budget {budget:0} B; " +
            $"rounds through the gateway: {string.Join(", ", viaGateway.Select(a => a.ToString("0")))}; direct: {string.Join(", ", straight.Select(a => a.ToString("0")))})");
    }

    private static Func<HttpRequestMessage> Request(Uri url, string key, string model, bool stream, bool includeUsage = false)
    {
        var options = (stream ? ",\"stream\":true" : "") + (includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "");
        var body = Encoding.UTF8.GetBytes(
            $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64{{options}}}""");
        return () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return request;
        };
    }

    private static async Task<double> BytesPerRequestAsync(HttpClient client, Func<HttpRequestMessage> request)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await SendAsync(client, request, PerRound);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)PerRound;
    }

    private static async Task SendAsync(HttpClient client, Func<HttpRequestMessage> request, int count)
    {
        var sink = new byte[16 * 1024];
        for (var i = 0; i < count; i++)
        {
            using var message = request();
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            while (await body.ReadAsync(sink) > 0)
            {
            }
        }
    }
}
