using Microsoft.Extensions.Logging;
using Switchyard.Configuration;

namespace Switchyard.Tests.Configuration;

/// <summary>Helpers shared by the configuration tests: a fake environment, loading shortcuts, a capturing logger.</summary>
internal static class ConfigTestSupport
{
    /// <summary>An environment lookup over a fixed dictionary; the real process environment is never read.</summary>
    public static Func<string, string?> Env(params (string Name, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    public static GatewayConfig LoadValid(string yaml, Func<string, string?>? env = null)
    {
        var result = ConfigLoader.LoadYaml(yaml, "test.yaml", env ?? Env());
        Assert.True(result.Errors.Count == 0, "unexpected errors:\n" + string.Join("\n", result.Errors));
        Assert.NotNull(result.Config);
        return result.Config;
    }

    /// <summary>Loads YAML that must fail and returns the errors as "path: message" strings.</summary>
    public static IReadOnlyList<string> LoadErrors(string yaml, Func<string, string?>? env = null)
    {
        var result = ConfigLoader.LoadYaml(yaml, "test.yaml", env ?? Env());
        Assert.Null(result.Config);
        Assert.NotEmpty(result.Errors);
        return [.. result.Errors.Select(e => e.ToString())];
    }

    /// <summary>Asserts that exactly one error has <paramref name="path"/> and returns its message.</summary>
    public static string SingleErrorAt(string yaml, string path, Func<string, string?>? env = null)
    {
        var result = ConfigLoader.LoadYaml(yaml, "test.yaml", env ?? Env());
        Assert.Null(result.Config);
        var matching = result.Errors.Where(e => e.Path == path).ToList();
        Assert.True(matching.Count == 1, $"expected one error at '{path}', got:\n" + string.Join("\n", result.Errors));
        return matching[0].Message;
    }

    public static string HashHex(string key) => KeyHasher.Format(KeyHasher.Hash(key));
}

/// <summary>Records log entries so tests can check what was (and was not) logged.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, EventId Id, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_gate)
        {
            _entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}
