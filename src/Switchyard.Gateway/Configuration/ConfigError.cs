namespace Switchyard.Configuration;

/// <summary>
/// One problem found while loading a configuration. <see cref="Path"/> locates the offending value in the
/// YAML (e.g. <c>models.gpt-4o.fallbacks[1]</c>, or the file itself for syntax and I/O errors) so an
/// operator can fix it without guessing. Messages never contain secret values.
/// </summary>
/// <param name="Path">Dotted path of the value (<c>providers.groq.base_url</c>), or the source for file-level errors.</param>
/// <param name="Message">What is wrong and, where possible, what would be right.</param>
public sealed record ConfigError(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// The outcome of a load: either a complete <see cref="GatewayConfig"/> or every error found. A partial
/// config is never returned, so a bad edit can never half-apply.
/// </summary>
/// <param name="Config">The loaded snapshot; non-null exactly when <paramref name="Errors"/> is empty.</param>
/// <param name="Errors">All problems, in the order they were found (roughly document order).</param>
public sealed record ConfigLoadResult(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>True when the load produced a config.</summary>
    public bool Succeeded => Config is not null;

    internal static ConfigLoadResult Success(GatewayConfig config) => new(config, []);

    internal static ConfigLoadResult Failure(IReadOnlyList<ConfigError> errors) => new(null, errors);
}
