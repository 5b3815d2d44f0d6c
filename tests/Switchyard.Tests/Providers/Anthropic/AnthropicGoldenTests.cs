using System.Runtime.CompilerServices;
using System.Text;

namespace Switchyard.Tests.Providers.Anthropic;

/// <summary>
/// Golden files for the Anthropic translation pairs (Golden/PAIR/CASE/). Per case, each input file present is
/// translated and compared with its expected file, exactly (JSON re-indented, nothing else normalised — the
/// translators are deterministic, and the only volatile field, <c>created</c>, comes from a fixed clock):
/// <list type="bullet">
/// <item><c>client-request.json</c> → <c>upstream-request.http</c> (and, with drop allowed, <c>upstream-request.drop.http</c> when present)</item>
/// <item><c>upstream-response.json</c> → <c>client-response.json</c></item>
/// <item><c>upstream-stream.sse</c> → <c>client-stream.sse</c> (also fed in 7-byte reads: same bytes)</item>
/// <item><c>upstream-error.http</c> → <c>client-error.http</c></item>
/// </list>
/// Run with <c>SWITCHYARD_UPDATE_GOLDEN=1</c> to (re)write expected files into the source tree, then review the diff.
/// </summary>
public sealed class AnthropicGoldenTests
{
    private static readonly bool Update = Environment.GetEnvironmentVariable("SWITCHYARD_UPDATE_GOLDEN") == "1";

    private static string OutputRoot => Path.Combine(AppContext.BaseDirectory, "Providers", "Anthropic", "Golden");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(OutputRoot).SelectMany(Directory.GetDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(OutputRoot, dir).Replace('\\', '/'));
        }

        return data;
    }

    [Fact]
    public void EveryPairHasTheRequiredCases()
    {
        string[] required =
        [
            "plain-text", "multi-turn-system", "image-input", "one-tool-call", "parallel-tool-calls", "tool-call-stream",
            "usage-only-final", "refusal", "context-length-error", "rate-limit-429", "in-stream-error", "cut-stream",
        ];
        foreach (var pair in new[] { "anthropic-client-openai-upstream", "openai-client-anthropic-upstream" })
        {
            foreach (var name in required)
            {
                Assert.True(Directory.Exists(Path.Combine(OutputRoot, pair, name)), $"missing golden case {pair}/{name}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden(string name)
    {
        var dir = Path.Combine(OutputRoot, name);
        var pair = GoldenPair.For(name.Split('/')[0]);
        var checkedAny = false;
        string? clientJson = File.Exists(Path.Combine(dir, "client-request.json")) ? Read(dir, "client-request.json") : null;
        if (clientJson is not null)
        {
            Check(name, "upstream-request.http", pair.UpstreamRequest(clientJson));
            if (File.Exists(Path.Combine(dir, "upstream-request.drop.http")))
            {
                Check(name, "upstream-request.drop.http", pair.UpstreamRequest(clientJson, allowDrop: true));
            }

            checkedAny = true;
        }

        if (File.Exists(Path.Combine(dir, "upstream-response.json")))
        {
            Check(name, "client-response.json", pair.ClientResponse(Read(dir, "upstream-response.json")));
            checkedAny = true;
        }

        if (File.Exists(Path.Combine(dir, "upstream-stream.sse")))
        {
            Assert.NotNull(clientJson); // the stream encoder needs the client's request (stream options)
            var request = pair.Parse(clientJson);
            var upstream = Encoding.UTF8.GetBytes(Read(dir, "upstream-stream.sse"));
            var whole = pair.ClientStream(request, upstream, upstream.Length);
            Check(name, "client-stream.sse", whole);
            Assert.Equal(whole, pair.ClientStream(pair.Parse(clientJson), upstream, 7));
            checkedAny = true;
        }

        if (File.Exists(Path.Combine(dir, "upstream-error.http")))
        {
            Check(name, "client-error.http", pair.ClientError(Read(dir, "upstream-error.http")));
            checkedAny = true;
        }

        Assert.True(checkedAny, $"golden case {name} has no input file");
    }

    private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Replace("\r\n", "\n", StringComparison.Ordinal);

    private static void Check(string name, string file, string actual, [CallerFilePath] string source = "")
    {
        var expectedPath = Path.Combine(OutputRoot, name, file);
        if (Update)
        {
            var sourcePath = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name, file);
            File.WriteAllText(sourcePath, actual);
            return;
        }

        Assert.True(File.Exists(expectedPath), $"missing {name}/{file}; run with SWITCHYARD_UPDATE_GOLDEN=1 to create it");
        var expected = Read(Path.GetDirectoryName(expectedPath)!, file);
        if (file.EndsWith(".json", StringComparison.Ordinal))
        {
            expected = GoldenPair.Indent(Encoding.UTF8.GetBytes(expected));
        }

        Assert.Equal(expected, actual);
    }
}
