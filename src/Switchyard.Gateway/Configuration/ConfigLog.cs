using Microsoft.Extensions.Logging;

namespace Switchyard.Configuration;

/// <summary>
/// Log events of the configuration subsystem (event ids 1100–1199, stable: alerting may key on them).
/// Only paths, counts and <see cref="ConfigError"/> texts are logged; those never contain key values.
/// </summary>
internal static partial class ConfigLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information,
        Message = "Configuration reloaded from {Source}: {ProviderCount} providers, {DeploymentCount} deployments, {ModelCount} models")]
    public static partial void Reloaded(ILogger logger, string source, int providerCount, int deploymentCount, int modelCount);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error,
        Message = "Configuration reload from {Source} failed with {ErrorCount} error(s); keeping the previous configuration")]
    public static partial void ReloadFailed(ILogger logger, string source, int errorCount);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Configuration error: {ErrorPath}: {ErrorMessage}")]
    public static partial void ConfigError(ILogger logger, string errorPath, string errorMessage);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error,
        Message = "Applying the configuration reloaded from {Source} failed; keeping the previous configuration")]
    public static partial void ApplyFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning,
        Message = "Watching {Source} for changes is not possible; hot reload is disabled")]
    public static partial void WatchUnavailable(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning,
        Message = "File watcher for {Source} reported an error; scheduling a reload in case a change was missed")]
    public static partial void WatcherError(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Watching {Source} for configuration changes")]
    public static partial void Watching(ILogger logger, string source);
}
