using Microsoft.Playwright;
using Switchyard.Tests.EndToEnd;
using Switchyard.Tests.EndToEnd.Admin;

namespace Switchyard.Tests.Console;

/// <summary>
/// One headless Debian chromium (Playwright with <c>ExecutablePath</c>: no browser download) and one gateway with
/// priced fake upstreams, shared by a test class. The browser comes from <c>SWITCHYARD_TEST_CHROMIUM</c>
/// (<c>.ci/services/chromium.sh</c> installs it and prints the export); without it the tests fail saying so, unless
/// <c>SWITCHYARD_TEST_SKIP_CHROMIUM=1</c> is set, which turns them into no-ops on purpose.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    /// <summary>Two priced models on the two fakes: <c>chat</c> (dep-a) and <c>only-b</c> (dep-b).</summary>
    public const string Yaml = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, price: { input: 1, output: 2 } }
          dep-b: { provider: up-b, model: upstream-model-b, price: { input: 3, output: 15 } }
        models:
          chat: dep-a
          only-b: dep-b
        """;

    private IPlaywright? playwright;

    /// <summary>Whether the run asked to skip browser tests (<c>SWITCHYARD_TEST_SKIP_CHROMIUM=1</c>).</summary>
    public static bool Skipped => Environment.GetEnvironmentVariable("SWITCHYARD_TEST_SKIP_CHROMIUM") == "1";

    public IBrowser Browser { get; private set; } = null!;

    internal GatewayHarness Gateway { get; private set; } = null!;

    /// <summary>Where the screenshots go: <c>TestResults/console/</c> at the repository root.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "TestResults", "console");

    public async Task InitializeAsync()
    {
        if (Skipped)
        {
            return;
        }

        var chromium = Environment.GetEnvironmentVariable("SWITCHYARD_TEST_CHROMIUM");
        if (string.IsNullOrEmpty(chromium) || !File.Exists(chromium))
        {
            throw new InvalidOperationException(
                "SWITCHYARD_TEST_CHROMIUM is not set to a chromium binary: run `eval \"$(.ci/services/chromium.sh)\"` first " +
                "(or set SWITCHYARD_TEST_SKIP_CHROMIUM=1 to skip the console's browser tests).");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        Gateway = await GatewayHarness.StartAsync(Yaml, env: AdminClient.MasterEnv);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A new page (its own context: empty sessionStorage and localStorage), 1360×900, signed in when asked.</summary>
    public async Task<IPage> PageAsync(bool signIn = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });
        context.SetDefaultTimeout(10_000);
        var page = await context.NewPageAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GotoAsync(Gateway.Url("/console/").AbsoluteUri);
        if (signIn)
        {
            await page.FillAsync("#admin-key", AdminClient.MasterKey);
            await page.ClickAsync("#login button[type=submit]");
            await page.WaitForSelectorAsync("#page-overview");
        }

        return page;
    }

    /// <summary>A full-page screenshot, <c>TestResults/console/NAME.png</c>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        await page.EvaluateAsync("window.scrollTo(0, 0)"); // else the sticky header is drawn where the page was scrolled to
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    /// <summary>
    /// Writes an hour of made-up history straight into the usage store (240 records over the last 55 minutes, three
    /// keys, both models, a few 429s and 502s, seeded random), so the overview's charts and top lists have a shape in
    /// the screenshots. Tests count records from the store, so these are part of what they expect.
    /// </summary>
    public void SeedHistory()
    {
        var random = new Random(7);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string[] keys = ["search-backend", "support-bot", "batch-jobs"];
        var batch = new List<UsageRecord>();
        for (var i = 0; i < 240; i++)
        {
            var b = random.Next(3) == 0;
            var status = random.Next(40) switch { 0 => 429, 1 => 502, _ => 200 };
            var (prompt, completion) = status == 200 ? (random.Next(200, 1800), random.Next(40, 600)) : (0, 0);
            var latency = status == 200 ? 300 + (random.NextDouble() * random.NextDouble() * 2500) : 20 + random.Next(60);
            batch.Add(new UsageRecord
            {
                RequestId = RequestIds.NewId(), Operation = "chat.completions", StartedAtMs = now - (long)(random.NextDouble() * 55 * 60_000),
                KeyId = keys[random.Next(keys.Length)], Alias = b ? "only-b" : "chat", IntendedDeployment = b ? "dep-b" : "dep-a",
                FinalDeployment = b ? "dep-b" : "dep-a", FinalModel = b ? "upstream-model-b" : "upstream-model-a", Attempts = 1,
                Status = status, ErrorKind = status == 429 ? "rate_limited" : status == 502 ? "server_error" : null, Format = "openai.chat",
                PromptTokens = prompt, CompletionTokens = completion, TotalTokens = prompt + completion, LatencyMs = latency,
                TimeToFirstTokenMs = status == 200 ? latency * (0.2 + (random.NextDouble() * 0.3)) : null, Stream = true,
                CostMicros = b ? (prompt * 3) + (completion * 15) : prompt + (completion * 2), PriceVersion = "config",
            });
        }

        Gateway.Gateway.Usage.Store.Write(batch);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Switchyard.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
