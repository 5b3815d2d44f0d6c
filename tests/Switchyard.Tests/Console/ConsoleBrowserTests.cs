using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Switchyard.Tests.EndToEnd;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.Console;

/// <summary>
/// The console in a real browser against a real gateway: sign in, create a key (its secret shown once), send traffic
/// with it, find it in the overview and the explorer (with the record's story), look at providers and config, compare
/// two models in the playground, revoke the key (the next request with it is a 401). Each page's screenshot is
/// written to TestResults/console/.
/// </summary>
public sealed class ConsoleBrowserTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task Console_KeyLifecycle_TrafficShowsInOverviewAndExplorer()
    {
        if (ConsoleBrowser.Skipped)
        {
            return;
        }

        var h = browser.Gateway;
        browser.SeedHistory();
        var page = await browser.PageAsync();

        // Create a key: the secret is shown once.
        await page.ClickAsync("nav a[data-view=keys]");
        await page.FillAsync("#create-form input[name=id]", "browser-key");
        await page.FillAsync("#create-form input[name=rpm]", "600");
        await page.FillAsync("#create-form input[name=limit_usd]", "5");
        await page.ClickAsync("#create-form button[type=submit]");
        var secret = await page.Locator("#new-secret").InnerTextAsync();
        Assert.StartsWith("sk-", secret, StringComparison.Ordinal);
        var keyId = Regex.Match(await page.Locator(".notice.secret strong").InnerTextAsync(), @"Key (\S+) created").Groups[1].Value;
        await ConsoleBrowser.ScreenshotAsync(page, "keys");

        // Traffic with it, then the overview counts it.
        for (var i = 0; i < 4; i++)
        {
            using var response = await h.PostChatAsync($$"""{"model":"{{(i % 2 == 0 ? "chat" : "only-b")}}","messages":[{"role":"user","content":"hello {{i}}"}]}""", secret);
            Assert.Equal(200, (int)response.StatusCode);
        }

        var records = await h.UsageRecordsAsync(4); // the playground test may have run first, with the same gateway
        await page.ClickAsync("nav a[data-view=overview]");
        await Assertions.Expect(page.Locator("[data-stat=requests] .stat-value")).ToHaveTextAsync(records.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator(".tops")).ToContainTextAsync("only-b");
        await ConsoleBrowser.ScreenshotAsync(page, "overview");

        // The explorer lists the key's requests; a row opens the record's story.
        await page.ClickAsync("nav a[data-view=requests]");
        await page.FillAsync("input[name=model]", "only-b");
        await page.FillAsync("input[name=key]", keyId);
        await page.ClickAsync(".filters button[type=submit]");
        await Assertions.Expect(page.Locator("#request-list tbody tr")).ToHaveCountAsync(2);
        await page.Locator("#request-list tbody tr").First.ClickAsync();
        await Assertions.Expect(page.Locator("#request-detail")).ToContainTextAsync("dep-b");
        await Assertions.Expect(page.Locator("#request-detail")).ToContainTextAsync("upstream-model-b");
        await ConsoleBrowser.ScreenshotAsync(page, "requests");

        await page.ClickAsync("nav a[data-view=providers]");
        await Assertions.Expect(page.Locator("#page-providers")).ToContainTextAsync("upstream-model-a");
        await ConsoleBrowser.ScreenshotAsync(page, "providers");

        await page.ClickAsync("nav a[data-view=config]");
        await Assertions.Expect(page.Locator("#config-version")).ToHaveTextAsync(new Regex("^[0-9a-f]{12}$"));
        await page.FillAsync("#config-yaml", "models:\n  broken: no-such-deployment\n");
        await page.ClickAsync("#validate");
        await Assertions.Expect(page.Locator("#config-result")).ToContainTextAsync("models.broken");
        await ConsoleBrowser.ScreenshotAsync(page, "config");

        // Revoke it: the next request with the key is refused.
        await page.ClickAsync("nav a[data-view=keys]");
        var row = page.Locator("tr", new PageLocatorOptions { HasText = "browser-key" });

        // Its budget bar is the ledger's: 2 × 20 + 2 × 105 micro-dollars settled, nothing reserved any more.
        await Assertions.Expect(row.Locator($"[data-scope='key:{keyId}']")).ToContainTextAsync("$0.00025 spent · $0.00 reserved");
        await ConsoleBrowser.ScreenshotAsync(page, "keys-after-traffic");
        await row.Locator("button[data-revoke]").ClickAsync();
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync("revoked");
        await Assertions.Expect(row).ToContainTextAsync("revoked");
        using var refused = await h.PostChatAsync("""{"model":"chat","messages":[{"role":"user","content":"again"}]}""", secret);
        Assert.Equal(401, (int)refused.StatusCode);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_UnknownOrClientKey_RefusedWithNothingShown()
    {
        if (ConsoleBrowser.Skipped)
        {
            return;
        }

        var page = await browser.PageAsync(signIn: false);
        await Assertions.Expect(page.Locator("#nav")).ToBeHiddenAsync();
        await page.FillAsync("#admin-key", "sk-not-a-key");
        await page.ClickAsync("#login button[type=submit]");
        await Assertions.Expect(page.Locator("#login .problem")).ToBeVisibleAsync();
        await page.FillAsync("#admin-key", GatewayHarness.ClientKey);
        await page.ClickAsync("#login button[type=submit]");
        await Assertions.Expect(page.Locator("#login .problem")).ToContainTextAsync("not an admin key");
        await Assertions.Expect(page.Locator("#nav")).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('switchyard.adminKey')"));
        await ConsoleBrowser.ScreenshotAsync(page, "sign-in");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Playground_TwoModels_StreamSideBySideWithTheirMetrics()
    {
        if (ConsoleBrowser.Skipped)
        {
            return;
        }

        browser.Gateway.A.Enqueue(UpstreamBehavior.Text("Paris is the capital of France.", chunks: 4));
        browser.Gateway.B.Enqueue(UpstreamBehavior.Text("The capital of France is Paris, on the Seine.", chunks: 5));
        var page = await browser.PageAsync();
        await page.ClickAsync("nav a[data-view=playground]");
        var columns = page.Locator(".column");
        await Assertions.Expect(columns).ToHaveCountAsync(2);
        await columns.Nth(0).Locator("select.model").SelectOptionAsync("chat");
        await columns.Nth(1).Locator("select.model").SelectOptionAsync("only-b");
        await columns.Nth(1).Locator("input[type=number]").First.FillAsync("0.2");
        await page.FillAsync("#play-system", "Answer in one sentence.");
        await page.FillAsync("#play-user", "What is the capital of France?");
        await page.ClickAsync("#run");

        await Assertions.Expect(page.Locator(".column[data-done=true]")).ToHaveCountAsync(2);
        await Assertions.Expect(columns.Nth(0).Locator("pre.output")).ToHaveTextAsync("Paris is the capital of France.");
        await Assertions.Expect(columns.Nth(1).Locator("pre.output")).ToHaveTextAsync("The capital of France is Paris, on the Seine.");
        await Assertions.Expect(columns.Nth(0).Locator("dl.metrics")).ToContainTextAsync("dep-a (upstream-model-a)");
        await Assertions.Expect(columns.Nth(1).Locator("dl.metrics")).ToContainTextAsync("dep-b (upstream-model-b)");
        await Assertions.Expect(columns.Nth(1).Locator("dl.metrics")).ToContainTextAsync("$0.0");

        // What the upstream got is what the column said: the system prompt and the column's own temperature.
        var sentToB = browser.Gateway.B.Requests.Last();
        Assert.Contains("Answer in one sentence.", sentToB.Body, StringComparison.Ordinal);
        Assert.Contains("\"temperature\":0.2", sentToB.Body, StringComparison.Ordinal);

        await columns.Nth(1).Locator("select").Last.SelectOptionAsync("python");
        await columns.Nth(1).GetByText("Copy as code").ClickAsync();
        await Assertions.Expect(columns.Nth(1).Locator("pre.code")).ToContainTextAsync("base_url=");
        await Assertions.Expect(page.Locator("#play-history .history-item")).ToHaveCountAsync(1);
        await ConsoleBrowser.ScreenshotAsync(page, "playground");
        await page.Context.CloseAsync();
    }
}
