using Microsoft.Extensions.Logging;
using Switchyard.Providers;

namespace Switchyard.Configuration;

/// <summary>
/// Hot reload of a configuration file. Changes are debounced (editors and config tools write a file in
/// several steps), the file is reloaded with <see cref="ConfigLoader.LoadFile"/>, and a valid result is
/// handed to the callback; swapping it in atomically is the caller's job. An invalid file is logged error
/// by error and ignored, so a bad edit never takes a running gateway down.
/// </summary>
public sealed class ConfigWatcher : IDisposable
{
    /// <summary>Quiet period after the last file event before reloading.</summary>
    public static readonly TimeSpan DebounceDelay = TimeSpan.FromMilliseconds(200);

    private readonly Func<string, string?> _env;
    private readonly ProviderCatalog? _providers;
    private readonly Action<GatewayConfig> _onReload;
    private readonly ILogger _logger;
    private readonly ITimer _debounce;
    private readonly FileSystemWatcher? _watcher;
    private readonly string _fileName;
    private readonly Lock _reloadLock = new();
    private volatile bool _disposed;

    /// <summary>Starts watching <paramref name="path"/>. The initial load is the caller's (it decides what a bad start means).</summary>
    /// <param name="path">The configuration file.</param>
    /// <param name="env">Environment lookup passed to the loader.</param>
    /// <param name="onReload">Receives each successfully reloaded config. Calls never overlap.</param>
    /// <param name="logger">Receives reload outcomes and every error of a failed reload.</param>
    /// <param name="time">Clock for the debounce timer (a fake one in tests).</param>
    /// <param name="providers">The provider kinds a reloaded file may use (those the gateway started with); the built-in ones when null.</param>
    public ConfigWatcher(string path, Func<string, string?> env, Action<GatewayConfig> onReload, ILogger logger, TimeProvider time,
        ProviderCatalog? providers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(onReload);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);

        Path = System.IO.Path.GetFullPath(path);
        _env = env;
        _providers = providers;
        _onReload = onReload;
        _logger = logger;
        _fileName = System.IO.Path.GetFileName(Path);
        _debounce = time.CreateTimer(static state => ((ConfigWatcher)state!).TryReload(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = StartWatching();
    }

    /// <summary>The absolute path of the watched file.</summary>
    public string Path { get; }

    /// <summary>
    /// Reloads now, bypassing the watcher and the debounce (tests, SIGHUP, an admin endpoint).
    /// True when the file was valid and the callback accepted it.
    /// </summary>
    public bool TryReload()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return false;
            }

            var result = ConfigLoader.LoadFile(Path, _env, _providers);
            if (result.Config is not { } config)
            {
                ConfigLog.ReloadFailed(_logger, Path, result.Errors.Count);
                foreach (var error in result.Errors)
                {
                    ConfigLog.ConfigError(_logger, error.Path, error.Message);
                }

                return false;
            }

            try
            {
                _onReload(config);
            }
            catch (Exception ex)
            {
                // The callback is the host's code; a throw there must not kill the timer thread or the watcher.
                ConfigLog.ApplyFailed(_logger, Path, ex);
                return false;
            }

            ConfigLog.Reloaded(_logger, Path, config.Providers.Count, config.Deployments.Count, config.Models.Count);
            return true;
        }
    }

    /// <summary>Records a change to the file: (re)starts the debounce period. Also what the file watcher calls.</summary>
    internal void NotifyChanged()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            _debounce.Change(DebounceDelay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // A file event raced with Dispose; nothing left to reload.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _watcher?.Dispose();
        _debounce.Dispose();
    }

    private FileSystemWatcher? StartWatching()
    {
        try
        {
            // Watch the directory, not the file: editors and tools replace a file by writing a temporary one
            // and renaming it over the original, which a watch on the original inode would miss.
            var watcher = new FileSystemWatcher(System.IO.Path.GetDirectoryName(Path)!)
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.Error += OnWatcherError;
            watcher.EnableRaisingEvents = true;
            ConfigLog.Watching(_logger, Path);
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // E.g. the inotify instance limit in a container: explicit TryReload still works.
            ConfigLog.WatchUnavailable(_logger, Path, ex);
            return null;
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (IsRelevant(e.Name) || (e is RenamedEventArgs r && IsRelevant(r.OldName)))
        {
            NotifyChanged();
        }
    }

    /// <summary>
    /// The file itself, or a Kubernetes-style "..data" entry: mounted ConfigMaps update by swapping a
    /// symlinked directory, which never touches the file's own name.
    /// </summary>
    private bool IsRelevant(string? name) =>
        name is not null && (string.Equals(name, _fileName, StringComparison.Ordinal) || name.StartsWith("..", StringComparison.Ordinal));

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        // Usually an event buffer overflow: a change may have been lost, so reload to be safe.
        ConfigLog.WatcherError(_logger, Path, e.GetException());
        NotifyChanged();
    }
}
