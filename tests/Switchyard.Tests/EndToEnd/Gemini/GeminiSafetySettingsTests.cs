using System.Net;
using System.Text;
using Switchyard.Hosting;

namespace Switchyard.Tests.EndToEnd.Gemini;

/// <summary>Gemini's safetySettings has no canonical form: it is accepted and named in x-switchyard-dropped-params.</summary>
public sealed class GeminiSafetySettingsTests
{
    [Fact]
    public async Task SafetySettings_AreReportedAsDropped()
    {
        var dataDir = Directory.CreateTempSubdirectory("switchyard-gem-safety-").FullName;
        await using (var gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            Environment = _ => null,
            ConsoleLogging = false,
        }))
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
            using var r = await http.PostAsync("/v1beta/models/switchyard/echo:generateContent", new StringContent(
                """{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}""",
                Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("safetySettings", r.Headers.GetValues("x-switchyard-dropped-params").Single(), StringComparison.Ordinal);
            Assert.Contains("hi", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Directory.Delete(dataDir, recursive: true);
    }
}
