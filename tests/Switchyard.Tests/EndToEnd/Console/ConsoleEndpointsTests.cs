using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Switchyard.Tests.EndToEnd.Admin;
using Switchyard.WebConsole;

namespace Switchyard.Tests.EndToEnd.Console;

/// <summary>The console's files (embedded, with content types, ETags and the CSP) and its config endpoints.</summary>
public sealed class ConsoleEndpointsTests
{
    [Theory]
    [InlineData("/console/", "text/html; charset=utf-8")]
    [InlineData("/console/app.js", "text/javascript; charset=utf-8")]
    [InlineData("/console/views/playground.js", "text/javascript; charset=utf-8")]
    [InlineData("/console/style.css", "text/css; charset=utf-8")]
    [InlineData("/console/favicon.svg", "image/svg+xml")]
    public async Task Console_Files_ServedWithTypeCspAndETag(string path, string contentType)
    {
        await using var h = await GatewayHarness.StartAsync();
        using var response = await h.Http.GetAsync(h.Url(path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.ToString());
        Assert.Equal(ConsoleAssets.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-cache", response.Headers.CacheControl!.ToString());
        var etag = response.Headers.ETag!;

        using var again = new HttpRequestMessage(HttpMethod.Get, h.Url(path));
        again.Headers.IfNoneMatch.Add(etag);
        using var cached = await h.Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
    }

    [Fact]
    public async Task Console_EveryModuleImport_IsEmbedded()
    {
        // A module the console imports but the build did not embed would break a view only at run time.
        await using var h = await GatewayHarness.StartAsync();
        var pending = new Queue<string>(["app.js"]);
        var seen = new HashSet<string>();
        while (pending.TryDequeue(out var file))
        {
            if (!seen.Add(file))
            {
                continue;
            }

            using var response = await h.Http.GetAsync(h.Url("/console/" + file));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"/console/{file}: {(int)response.StatusCode}");
            var text = await response.Content.ReadAsStringAsync();
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"(?:from |import\()\s*'(\.{1,2}/[^']+)'"))
            {
                var baseDir = file.Contains('/') ? file[..(file.LastIndexOf('/') + 1)] : "";
                pending.Enqueue(new Uri(new Uri("http://x/" + baseDir), m.Groups[1].Value).AbsolutePath.TrimStart('/'));
            }
        }

        Assert.True(seen.Count >= 10, string.Join(", ", seen));
    }

    [Fact]
    public async Task Console_UnknownFile_404AndBareConsoleRedirects()
    {
        await using var h = await GatewayHarness.StartAsync();
        using var missing = await h.Http.GetAsync(h.Url("/console/nope.js"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var traversal = await h.Http.GetAsync(h.Url("/console/..%2f..%2fappsettings.json"));
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var bare = await noRedirect.GetAsync(h.Url("/console"));
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/console/", bare.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Config_RunningView_HasVersionAndNoSecret()
    {
        await using var h = await GatewayHarness.StartAsync(env: AdminClient.MasterEnv);
        var (status, body) = await new AdminClient(h, AdminClient.MasterKey).GetAsync("/v1/admin/config");

        Assert.Equal(200, status);
        Assert.Matches("^[0-9a-f]{12}$", body["version"]!.GetValue<string>());
        Assert.NotNull(body["loaded_at"]!.GetValue<string>());
        Assert.Equal(1, body["config"]!["providers"]!["up-a"]!["api_keys"]!.GetValue<int>());
        Assert.Equal(["dep-a"], body["config"]!["models"]!["chat"]!["deployments"]!.AsArray().Select(d => d!.GetValue<string>()));
        var text = body.ToJsonString();
        Assert.DoesNotContain(GatewayHarness.ProviderKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("sha256:", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigValidate_ListsEveryErrorWithItsPath_AndAppliesNothing()
    {
        await using var h = await GatewayHarness.StartAsync(env: AdminClient.MasterEnv);
        var before = h.Gateway.Router.Current;
        const string Bad = """
            deployments:
              d1: { provider: nowhere, model: m }
            models:
              m1: missing-deployment
            """;

        var (status, body) = await PostYamlAsync(h, Bad);

        Assert.Equal(200, status);
        Assert.False(body["valid"]!.GetValue<bool>());
        var paths = body["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Contains(paths, p => p.StartsWith("deployments.d1", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("models.m1", StringComparison.Ordinal));
        Assert.Same(before, h.Gateway.Router.Current);

        var (_, good) = await PostYamlAsync(h, h.Render(GatewayHarness.DefaultYaml));
        Assert.True(good["valid"]!.GetValue<bool>(), good.ToJsonString());
        Assert.Equal(5, good["models"]!.GetValue<int>()); // chat, solo, only-b, embed and the built-in echo
        Assert.Same(before, h.Gateway.Router.Current);
    }

    private static async Task<(int, System.Text.Json.Nodes.JsonNode)> PostYamlAsync(GatewayHarness h, string yaml)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, h.Url("/v1/admin/config/validate")) { Content = new StringContent(yaml, Encoding.UTF8, "application/yaml") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminClient.MasterKey);
        using var response = await h.Http.SendAsync(request);
        return ((int)response.StatusCode, System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
