using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Configuration;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

public sealed class ConfigWatcherTests : IDisposable
{
    private const string ValidV1 = "models:\n  fast: switchyard-echo\n";
    private const string ValidV2 = "models:\n  fast: switchyard-echo\n  slow: switchyard-echo\n";
    private const string Invalid = "models:\n  fast: { deployments: [nowhere] }\n  other: { deployments: [switchyard-echo], max_attempts: 0 }\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("switchyard-config-").FullName;
    private readonly CapturingLogger _logger = new();
    private readonly List<GatewayConfig> _reloads = [];

    private string ConfigPath => Path.Combine(_dir, "switchyard.yaml");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ConfigWatcher CreateWatcher(TimeProvider time) =>
        new(ConfigPath, Env(), c =>
        {
            lock (_reloads)
            {
                _reloads.Add(c);
            }
        }, _logger, time);

    [Fact]
    public void TryReload_ValidEdit_HandsNewConfigToCallback()
    {
        File.WriteAllText(ConfigPath, ValidV1);
        using var watcher = CreateWatcher(new FakeTimeProvider());

        File.WriteAllText(ConfigPath, ValidV2);
        Assert.True(watcher.TryReload());

        var config = Assert.Single(_reloads);
        Assert.True(config.Models.ContainsKey("slow"));
        Assert.Equal(watcher.Path, config.Source);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 1100 && e.Level == LogLevel.Information);
    }

    [Fact]
    public void TryReload_InvalidEdit_KeepsOldConfigAndLogsEveryError()
    {
        File.WriteAllText(ConfigPath, ValidV1);
        using var watcher = CreateWatcher(new FakeTimeProvider());

        File.WriteAllText(ConfigPath, Invalid);
        Assert.False(watcher.TryReload());

        Assert.Empty(_reloads);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 1101 && e.Level == LogLevel.Error && e.Message.Contains("2 error(s)"));
        var errors = _logger.Entries.Where(e => e.Id.Id == 1102).Select(e => e.Message).ToList();
        Assert.Equal(
        [
            "Configuration error: models.fast.deployments[0]: unknown deployment 'nowhere'",
            "Configuration error: models.other.max_attempts: must be at least 1",
        ], errors);
    }

    [Fact]
    public void TryReload_InvalidEditWithSecretsInEnv_NeverLogsSecrets()
    {
        File.WriteAllText(ConfigPath, """
            auth:
              keys: [{ id: a, key_env: A_KEY }, { id: b, key_env: B_KEY }]
            providers:
              openai: { api_key: "${OPENAI_API_KEY}", headers: { X-Token: "${TOKEN}\r" } }
            """);
        string[] secrets = ["cl1ent-k3y", "sk-upstr3am", "t0ken-val"];
        var env = Env(("A_KEY", secrets[0]), ("B_KEY", secrets[0]), ("OPENAI_API_KEY", secrets[1]), ("TOKEN", secrets[2]));
        using var watcher = new ConfigWatcher(ConfigPath, env, _reloads.Add, _logger, new FakeTimeProvider());

        Assert.False(watcher.TryReload());

        Assert.Equal(2, _logger.Entries.Count(e => e.Id.Id == 1102));
        Assert.All(_logger.Entries, e => Assert.All(secrets, s => Assert.DoesNotContain(s, e.Message)));
    }

    [Fact]
    public void TryReload_CallbackThrows_ReturnsFalseAndLogs()
    {
        File.WriteAllText(ConfigPath, ValidV1);
        using var watcher = new ConfigWatcher(ConfigPath, Env(), _ => throw new InvalidOperationException("boom"), _logger, new FakeTimeProvider());

        Assert.False(watcher.TryReload());
        Assert.Contains(_logger.Entries, e => e.Id.Id == 1103);
    }

    [Fact]
    public void NotifyChanged_BurstOfEvents_ReloadsOnceAfterDebounce()
    {
        File.WriteAllText(ConfigPath, ValidV1);
        var time = new FakeTimeProvider();
        using var watcher = CreateWatcher(time);

        watcher.NotifyChanged();
        time.Advance(TimeSpan.FromMilliseconds(150));
        watcher.NotifyChanged(); // restarts the quiet period
        time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Empty(_reloads);

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Single(_reloads);
    }

    [Fact]
    public void Dispose_ThenTryReload_DoesNothing()
    {
        File.WriteAllText(ConfigPath, ValidV1);
        var watcher = CreateWatcher(new FakeTimeProvider());

        watcher.Dispose();

        Assert.False(watcher.TryReload());
        Assert.Empty(_reloads);
    }

    [Fact]
    public async Task Watcher_FileReplacedOnDisk_ReloadsEventually()
    {
        File.WriteAllText(ConfigPath, ValidV1);
        using var watcher = CreateWatcher(TimeProvider.System);

        // Editors write a temporary file and rename it over the original.
        var temp = Path.Combine(_dir, "switchyard.yaml.tmp");
        File.WriteAllText(temp, ValidV2);
        File.Move(temp, ConfigPath, overwrite: true);

        // Bounded wait, no timing assertion: file events arrive when the OS delivers them.
        for (var i = 0; i < 100 && !HasReloadWith("slow"); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(HasReloadWith("slow"), "no reload observed within 5 s");
    }

    private bool HasReloadWith(string alias)
    {
        lock (_reloads)
        {
            return _reloads.Any(c => c.Models.ContainsKey(alias));
        }
    }
}
