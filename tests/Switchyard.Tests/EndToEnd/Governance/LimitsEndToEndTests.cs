using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Tests.EndToEnd.Admin;

namespace Switchyard.Tests.EndToEnd.Governance;

/// <summary>
/// Limits end to end, on a stopped clock: a key's RPM admits exactly its limit however many requests race for it,
/// every answer to a limited key carries OpenAI's <c>x-ratelimit-*</c> headers, a refusal is a 429 in the caller's
/// format with <c>Retry-After</c>, and a registered customer's limit is shared by every key acting for it.
/// </summary>
public sealed class LimitsEndToEndTests
{
    private static async Task<(GatewayHarness H, AdminClient Admin, FakeTimeProvider Clock)> StartAsync()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var h = await GatewayHarness.StartAsync(env: AdminClient.MasterEnv, time: clock);
        return (h, new AdminClient(h, AdminClient.MasterKey), clock);
    }

    private static HttpRequestMessage Chat(GatewayHarness h, string key, string? customer = null, string body = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, h.Url("/v1/chat/completions"))
        {
            Content = new StringContent(body.Length > 0 ? body : Wire.ChatJson(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (customer is not null)
        {
            request.Headers.Add("x-switchyard-customer", customer);
        }

        return request;
    }

    private static async Task<(int Status, HttpResponseHeaders Headers, string Body)> SendAsync(GatewayHarness h, HttpRequestMessage request)
    {
        using (request)
        using (var response = await h.Http.SendAsync(request))
        {
            return ((int)response.StatusCode, response.Headers, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Rpm100_ExactlyAHundredOfAHundredAndFiftyConcurrentRequestsPass_WithHeaders()
    {
        var (h, admin, clock) = await StartAsync();
        await using var _ = h;
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"limited","limits":{"rpm":100}}""");

        var answers = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => SendAsync(h, Chat(h, secret))));

        var passed = answers.Where(a => a.Status == 200).ToList();
        var refused = answers.Where(a => a.Status == 429).ToList();
        Assert.Equal((100, 50), (passed.Count, refused.Count));
        Assert.All(answers, a => Assert.Equal("100", a.Headers.GetValues("x-ratelimit-limit-requests").Single()));
        Assert.Contains(passed, a => a.Headers.GetValues("x-ratelimit-remaining-requests").Single() == "0");
        Assert.All(refused, a =>
        {
            Assert.Equal("1", a.Headers.GetValues("Retry-After").Single()); // one token refills in 0.6 s
            Assert.Equal("0", a.Headers.GetValues("x-ratelimit-remaining-requests").Single());
            Assert.Contains("\"code\":\"rate_limit_exceeded\"", a.Body, StringComparison.Ordinal);
            Assert.Contains("on requests per min", a.Body, StringComparison.Ordinal);
        });
        Assert.Equal(100, h.A.RequestCount); // refusals never reached the upstream

        clock.Advance(TimeSpan.FromSeconds(6)); // a tenth of the minute refills ten requests
        var after = await Task.WhenAll(Enumerable.Range(0, 11).Select(_ => SendAsync(h, Chat(h, secret))));
        Assert.Equal(10, after.Count(a => a.Status == 200));
    }

    [Fact]
    public async Task AnUnlimitedKey_GetsNoRateLimitHeaders()
    {
        var (h, admin, _) = await StartAsync();
        await using var _ = h;
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"free"}""");

        var (status, headers, _) = await SendAsync(h, Chat(h, secret));

        Assert.Equal(200, status);
        Assert.False(headers.Contains("x-ratelimit-limit-requests"));
    }

    [Fact]
    public async Task TokensPerMinute_ARequestLargerThanTheLimitIsRefusedWithoutRetryAfter_ASmallOneWithoutACapPasses()
    {
        var (h, admin, _) = await StartAsync();
        await using var _ = h;
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"tpm","limits":{"tpm":500}}""");

        var (small, smallHeaders, _) = await SendAsync(h, Chat(h, secret)); // no max_tokens: the guess stays within 500
        var (large, largeHeaders, body) = await SendAsync(h, Chat(h, secret,
            body: """{"model":"chat","max_tokens":2000,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(200, small);
        Assert.Equal("500", smallHeaders.GetValues("x-ratelimit-limit-tokens").Single());
        Assert.Equal(429, large);
        Assert.False(largeHeaders.Contains("Retry-After")); // waiting would never help
        Assert.Contains("Request too large", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARegisteredCustomersLimit_IsSharedByTheTeamsKeys_OtherCustomersAreNotTouched()
    {
        var (h, admin, _) = await StartAsync();
        await using var _ = h;
        Assert.Equal(201, (await admin.PostAsync("/v1/admin/teams", """{"id":"search","name":"Search"}""")).Status);
        Assert.Equal(201, (await admin.PostAsync("/v1/admin/customers", """{"id":"acme","team":"search","limits":{"rpm":2}}""")).Status);
        var (_, first, _) = await admin.CreateKeyAsync("""{"name":"one","team":"search"}""");
        var (_, second, _) = await admin.CreateKeyAsync("""{"name":"two","team":"search"}""");
        var (_, outsider, _) = await admin.CreateKeyAsync("""{"name":"no team"}""");

        Assert.Equal(200, (await SendAsync(h, Chat(h, first, "acme"))).Status);
        Assert.Equal(200, (await SendAsync(h, Chat(h, second, "acme"))).Status);
        var third = await SendAsync(h, Chat(h, first, "acme"));
        Assert.Equal(429, third.Status);
        Assert.Contains("customer 'search/acme'", third.Body, StringComparison.Ordinal);

        Assert.Equal(200, (await SendAsync(h, Chat(h, second, "globex"))).Status); // an unregistered customer: no limit of its own
        Assert.Equal(200, (await SendAsync(h, Chat(h, outsider, "acme"))).Status); // another team's key cannot spend acme's limit
    }

    [Fact]
    public async Task AnAnthropicClient_IsRefusedInItsOwnFormat()
    {
        var (h, admin, _) = await StartAsync();
        await using var _ = h;
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"limited","limits":{"rpm":1}}""");

        HttpRequestMessage Messages()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, h.Url("/v1/messages"))
            {
                Content = new StringContent("""{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-api-key", secret);
            request.Headers.Add("anthropic-version", "2023-06-01");
            return request;
        }

        Assert.Equal(200, (await SendAsync(h, Messages())).Status);
        var refused = await SendAsync(h, Messages());

        Assert.Equal(429, refused.Status);
        Assert.Contains("\"type\":\"rate_limit_error\"", refused.Body, StringComparison.Ordinal);
        Assert.True(refused.Headers.Contains("Retry-After"));
    }
}
