using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenAI;
using OpenAI.Chat;

namespace Switchyard.Tests.EndToEnd.Admin;

/// <summary>
/// The CLI over the admin API, as a user runs it: the built host (<c>switchyard.dll</c>) serves as a child process
/// with a master key, and <c>switchyard keys ...</c> runs as other child processes against it. A key made with
/// the CLI works with the OpenAI SDK until the CLI revokes or rotates it; its secret appears in no log line of the
/// gateway and in no byte of its data directory.
/// </summary>
public sealed class KeysCliTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    [Fact]
    public async Task CreateUseRevoke_ThroughTheCli_TheNextRequestIs401_AndTheSecretIsNowhere()
    {
        var (code, created, note) = await CliAsync("keys", "create", "--name", "cli key", "--team", "search", "--models", "switchyard/*", "--metadata", "env=test");
        var key = JsonNode.Parse(created)!;
        var (id, secret) = (key["id"]!.GetValue<string>(), key["key"]!.GetValue<string>());

        var answer = await Chat(secret).CompleteChatAsync([new UserChatMessage("hi")]);
        var (_, listed, _) = await CliAsync("keys", "list", "--team", "search");
        var (_, shown, _) = await CliAsync("keys", "show", id);
        var (revokeCode, revoked, _) = await CliAsync("keys", "revoke", id);
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Chat(secret).CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(0, code);
        Assert.Contains("shown only now", note, StringComparison.Ordinal);
        Assert.Equal("search", key["team"]!.GetValue<string>());
        Assert.Equal("hi", answer.Value.Content[0].Text);
        Assert.Contains(id, listed, StringComparison.Ordinal);
        Assert.Contains(secret[..10], listed, StringComparison.Ordinal);
        Assert.Equal("test", JsonNode.Parse(shown)!["metadata"]!["env"]!.GetValue<string>());
        Assert.Equal(0, revokeCode);
        Assert.Equal("revoked", JsonNode.Parse(revoked)!["status"]!.GetValue<string>());
        Assert.Equal(401, refused.Status);
        await AssertNowhereAsync(secret, id, "created", "revoked");
        Assert.DoesNotContain(secret, listed + shown + revoked, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_ThroughTheCli_TheOldSecretIs401_TheNewOneWorks()
    {
        var (_, created, _) = await CliAsync("keys", "create", "--name", "rotating", "--expires-in", "30d");
        var key = JsonNode.Parse(created)!;
        var (id, old) = (key["id"]!.GetValue<string>(), key["key"]!.GetValue<string>());

        var (code, rotated, _) = await CliAsync("keys", "rotate", id);
        var fresh = JsonNode.Parse(rotated)!["key"]!.GetValue<string>();

        Assert.Equal(0, code);
        Assert.Equal(401, (await Assert.ThrowsAsync<ClientResultException>(() => Chat(old).CompleteChatAsync([new UserChatMessage("hi")]))).Status);
        Assert.Equal("hi", (await Chat(fresh).CompleteChatAsync([new UserChatMessage("hi")])).Value.Content[0].Text);
        await AssertNowhereAsync(fresh, id, "rotated");
        await AssertNowhereAsync(old, id, "created");
    }

    [Fact]
    public async Task ModelLimits_SetShownReplacedAndCleared_ThroughTheCli()
    {
        var (code, created, _) = await CliAsync("keys", "create", "--name", "per-model", "--model-limits", "chat:rpm=10,tpm=20000; llama3:8b:rpm=5");
        var id = JsonNode.Parse(created)!["id"]!.GetValue<string>();
        var (_, shown, _) = await CliAsync("keys", "show", id);
        var (updateCode, updated, _) = await CliAsync("keys", "update", id, "--model-limits", "switchyard/echo:concurrency=2");
        var (clearCode, cleared, _) = await CliAsync("keys", "update", id, "--model-limits", "none");
        var (bad, _, badError) = await CliAsync("keys", "update", id, "--model-limits", "chat");
        var (refused, _, refusedError) = await CliAsync("keys", "update", id, "--model-limits", "openai/*:rpm=1");

        var limits = JsonNode.Parse(shown)!["model_limits"]!;
        Assert.Equal((0, 0, 0), (code, updateCode, clearCode));
        Assert.Equal((10, 20000L, 5), (limits["chat"]!["rpm"]!.GetValue<int>(), limits["chat"]!["tpm"]!.GetValue<long>(), limits["llama3:8b"]!["rpm"]!.GetValue<int>()));
        var replaced = JsonNode.Parse(updated)!["model_limits"]!.AsObject();
        Assert.Equal(["switchyard/echo"], replaced.Select(p => p.Key));
        Assert.Equal(2, replaced["switchyard/echo"]!["concurrency"]!.GetValue<int>());
        Assert.Equal("{}", JsonNode.Parse(cleared)!["model_limits"]!.ToJsonString());
        Assert.Equal((2, 1), (bad, refused));
        Assert.Contains("--model-limits", badError, StringComparison.Ordinal);
        Assert.Contains("exact model names", refusedError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_TheGatewaysRefusalExits1_AUsageErrorExits2()
    {
        var (notFound, _, notFoundError) = await CliAsync("keys", "update", "key_nope", "--name", "x");
        var (typo, _, typoError) = await CliAsync("keys", "create", "--name", "x", "--tema", "search");
        var (invalid, _, invalidError) = await CliAsync("keys", "create", "--name", "x", "--team", "nope");

        Assert.Equal((1, 2, 1), (notFound, typo, invalid));
        Assert.Contains("404", notFoundError, StringComparison.Ordinal);
        Assert.Contains("--tema", typoError, StringComparison.Ordinal);
        Assert.Contains("unknown_team", invalidError, StringComparison.Ordinal);
    }

    private ChatClient Chat(string key) => new("switchyard/echo", new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    /// <summary>The secret is in no line the gateway logged and no byte of its data directory; the admin action is logged by id.</summary>
    private async Task AssertNowhereAsync(string secret, string id, params string[] actions)
    {
        await Task.Delay(100); // the console logger writes on its own thread
        var text = gateway.Log;

        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        foreach (var action in actions)
        {
            Assert.Contains($"Admin master {action} key {id}", text, StringComparison.Ordinal);
        }

        var needle = Encoding.UTF8.GetBytes(secret);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(gateway.Dir, "data"), "*", SearchOption.AllDirectories))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var bytes = new MemoryStream();
            await stream.CopyToAsync(bytes);
            Assert.True(bytes.ToArray().AsSpan().IndexOf(needle) < 0, $"the secret is in {file}");
        }
    }

    private async Task<(int Code, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        using var cli = CliGatewayFixture.Start([.. args, "--url", gateway.BaseAddress.ToString()], new() { ["SWITCHYARD_ADMIN_KEY"] = CliGatewayFixture.Master });
        var stdout = cli.StandardOutput.ReadToEndAsync();
        var stderr = cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync().WaitAsync(CliGatewayFixture.Bound);
        return (cli.ExitCode, await stdout, await stderr);
    }
}

/// <summary>One gateway process (with a master key and a team <c>search</c>) shared by the CLI tests, and everything it logged.</summary>
public sealed partial class CliGatewayFixture : IAsyncLifetime
{
    public const string Master = "sk-master-cli-e2e-8e2f";

    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly StringBuilder log = new();
    private Process gateway = null!;

    public string Dir { get; } = Directory.CreateTempSubdirectory("switchyard-cli-").FullName;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Everything the gateway wrote to stdout and stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    public async Task InitializeAsync()
    {
        var config = Path.Combine(Dir, "switchyard.yaml");
        File.WriteAllText(config, "teams:\n  search: { name: Search }\n");
        gateway = Start(["serve", "--config", config, "--urls", "http://127.0.0.1:0", "--data", Path.Combine(Dir, "data")], new() { ["SWITCHYARD_MASTER_KEY"] = Master });
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (Listening().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value));
            }
        }

        gateway.OutputDataReceived += OnLine;
        gateway.ErrorDataReceived += OnLine;
        gateway.BeginOutputReadLine();
        gateway.BeginErrorReadLine();
        BaseAddress = await listening.Task.WaitAsync(Bound);
    }

    public async Task DisposeAsync()
    {
        if (!gateway.HasExited)
        {
            gateway.Kill();
            await gateway.WaitForExitAsync();
        }

        gateway.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static Process Start(string[] args, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(HostDll());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "SWITCHYARD_MASTER_KEY", "SWITCHYARD_ADMIN_KEY", "SWITCHYARD_CONFIG", "SWITCHYARD_URLS", "SWITCHYARD_DATA" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start switchyard");
    }

    /// <summary>src/Switchyard's build output, in the configuration the tests were built in.</summary>
    private static string HostDll()
    {
        var bin = AppContext.BaseDirectory;
        var configuration = bin.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var d = new DirectoryInfo(bin); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Switchyard.slnx")))
            {
                return Path.Combine(d.FullName, "src", "Switchyard", "bin", configuration, "net10.0", "switchyard.dll");
            }
        }

        throw new FileNotFoundException("Switchyard.slnx not found above the test output folder");
    }
}
