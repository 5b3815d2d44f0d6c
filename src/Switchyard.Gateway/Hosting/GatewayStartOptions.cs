using Switchyard.Providers;

namespace Switchyard.Hosting;

/// <summary>How to start a gateway: used by the CLI host and, in-process, by tests and benchmarks.</summary>
public sealed class GatewayStartOptions
{
    /// <summary>Default listen address: loopback only, so an open (keyless) default never faces a network.</summary>
    public const string DefaultUrls = "http://127.0.0.1:4000";

    /// <summary>A YAML file; watched and hot-reloaded. Null: embedded defaults (or <see cref="ConfigYaml"/>).</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Inline YAML (tests); not watched.</summary>
    public string? ConfigYaml { get; init; }

    /// <summary>Kestrel listen URLs (<c>http://127.0.0.1:0</c> picks a free port).</summary>
    public string Urls { get; init; } = DefaultUrls;

    /// <summary>Overrides <c>server.data_dir</c>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// The SQLite file of keys, teams and customers, when not the data directory's <c>switchyard.db</c>: replicas on one
    /// host (and tests of several replicas) share it so an admin change through one is seen by all (docs/adr/0013).
    /// </summary>
    public string? GovernanceDatabase { get; init; }

    /// <summary>Environment lookup for <c>${VAR}</c> and provider keys (tests pass a dictionary).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Clock for timeouts and backoff (tests pass a fake).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Randomness for weighted routing and jitter (tests pass a seeded one).</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>
    /// The provider kinds this gateway serves: config files are validated against it and its adapters and
    /// in-process handlers are built from it. <see cref="ProviderCatalog.Default"/> unless a host (or a test)
    /// adds its own, e.g. <c>ProviderCatalog.Default.With(new MyProvider())</c>.
    /// </summary>
    public ProviderCatalog Providers { get; init; } = ProviderCatalog.Default;

    /// <summary>Console logging (off in tests and benchmarks).</summary>
    public bool ConsoleLogging { get; init; } = true;
}

/// <summary>The configuration could not be loaded; every problem is listed.</summary>
public sealed class ConfigurationRejectedException(string source, IReadOnlyList<Configuration.ConfigError> errors)
    : Exception($"Configuration '{source}' is invalid:\n  " + string.Join("\n  ", errors))
{
    /// <summary>The problems, each with its path.</summary>
    public IReadOnlyList<Configuration.ConfigError> Errors { get; } = errors;
}
