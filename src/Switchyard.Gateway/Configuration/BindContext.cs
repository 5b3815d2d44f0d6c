using System.Collections.Frozen;
using Switchyard.Providers;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Shared state and typed readers for one load. Every reader reports problems into <see cref="Errors"/>
/// and returns null instead of throwing, so binding carries on and the operator sees every error at once.
/// Scalar readers apply <c>${VAR}</c> substitution (<see cref="EnvSubstitution"/>) to the value they read.
/// </summary>
internal sealed class BindContext(Func<string, string?> env, ProviderCatalog providers)
{
    public Func<string, string?> Env { get; } = env;

    /// <summary>The provider kinds and presets this load accepts.</summary>
    public ProviderCatalog Providers { get; } = providers;

    public List<ConfigError> Errors { get; } = [];

    /// <summary>The server's breaker (<c>server.circuit_breaker</c>), which deployment and model breakers override field by field.</summary>
    public CircuitBreakerSettings ServerBreaker { get; set; } = CircuitBreakerSettings.Default;

    /// <summary>The names under <c>guardrails:</c>, bound first so models, routes and keys can refer to them.</summary>
    public IReadOnlyCollection<string> GuardrailNames { get; set; } = [];

    public void Error(string path, string message) => Errors.Add(new ConfigError(path, message));

    /// <summary>Every <c>cache.semantic.embedding_model</c> and its path, checked once all aliases are known.</summary>
    public List<(string Path, string Alias)> CacheEmbeddingRefs { get; } = [];

    public static string Child(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    public static string Index(string parent, int index) => $"{parent}[{index}]";

    /// <summary>YAML null: absent, an empty plain value, <c>~</c> or <c>null</c> (quoted strings are never null).</summary>
    public static bool IsNull(YamlNode? node) =>
        node is null
        || node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s
           && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNull(node) => "nothing",
        _ => "a single value",
    };

    /// <summary>
    /// A mapping with a fixed set of keys; unknown keys are reported (with a spelling hint) and skipped.
    /// Null when the node is absent/null or not a mapping (the latter is reported).
    /// </summary>
    public MapView? Map(YamlNode? node, string path, FrozenSet<string> allowedKeys)
    {
        var entries = Entries(node, path);
        if (entries is null)
        {
            return null;
        }

        var known = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            if (allowedKeys.Contains(key))
            {
                known[key] = value;
            }
            else
            {
                Error(Child(path, key), "unknown key" + Suggestions.Hint(key, allowedKeys));
            }
        }

        return new MapView(path, known);
    }

    /// <summary>
    /// A mapping whose keys are user-chosen names (providers, models, headers...), in document order.
    /// Null when absent/null or not a mapping (the latter is reported).
    /// </summary>
    public List<(string Key, YamlNode Value)>? Entries(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode map)
        {
            Error(path, $"expected a mapping, got {Describe(node!)}");
            return null;
        }

        var result = new List<(string, YamlNode)>(map.Children.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key } || IsNull(keyNode))
            {
                Error(path, $"keys must be non-empty names, got {Describe(keyNode)} (line {keyNode.Start.Line})");
                continue;
            }

            if (!seen.Add(key))
            {
                Error(Child(path, key), "duplicate key");
                continue;
            }

            result.Add((key, value));
        }

        return result;
    }

    /// <summary>A list; null when absent/null or not a list (the latter is reported).</summary>
    public YamlSequenceNode? Sequence(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequenceNode seq)
        {
            Error(path, $"expected a list, got {Describe(node!)}");
            return null;
        }

        return seq;
    }

    /// <summary>The scalar's text exactly as written (no substitution); null when absent or not a scalar.</summary>
    public string? RawScalar(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            Error(path, $"expected a single value, got {Describe(node!)}");
            return null;
        }

        return scalar.Value ?? "";
    }

    /// <summary>The scalar's text after <c>${VAR}</c> substitution; null when absent or invalid.</summary>
    public string? String(YamlNode? node, string path)
    {
        var raw = RawScalar(node, path);
        return raw is null ? null : EnvSubstitution.Expand(raw, Env, path, Errors);
    }

    /// <summary>Like <see cref="String"/> but a missing or blank value is reported as an error.</summary>
    public string? RequiredString(MapView map, string key)
    {
        var path = map.PathOf(key);
        if (!map.TryGet(key, out var node) || IsNull(node))
        {
            Error(path, "is required");
            return null;
        }

        var value = String(node, path);
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            Error(path, "must not be empty");
            return null;
        }

        return value;
    }

    public int? Int(YamlNode? node, string path, int min, int max = int.MaxValue)
    {
        var text = String(node, path);
        if (text is null)
        {
            return null;
        }

        if (ValueParsers.TryParseInt(text, min, max, out var value, out var error))
        {
            return value;
        }

        Error(path, error);
        return null;
    }

    /// <summary><c>true</c> or <c>false</c>; null when absent or invalid (reported).</summary>
    public bool? Bool(YamlNode? node, string path)
    {
        var text = String(node, path)?.Trim();
        switch (text)
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                Error(path, $"must be true or false, not '{text}'");
                return null;
        }
    }

    /// <summary>A finite decimal number in [<paramref name="min"/>, <paramref name="max"/>]; null when absent or invalid (reported).</summary>
    public double? Number(YamlNode? node, string path, double min, double max)
    {
        var text = String(node, path)?.Trim();
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) && value >= min && value <= max)
        {
            return value;
        }

        Error(path, FormattableString.Invariant($"must be a number from {min} to {max}, not '{text}'"));
        return null;
    }

    public TimeSpan? Duration(YamlNode? node, string path)
    {
        var text = String(node, path);
        if (text is null)
        {
            return null;
        }

        if (ValueParsers.TryParseDuration(text, out var value, out var error))
        {
            return value;
        }

        Error(path, error);
        return null;
    }

    public long? Size(YamlNode? node, string path)
    {
        var text = String(node, path);
        if (text is null)
        {
            return null;
        }

        if (ValueParsers.TryParseSize(text, out var value, out var error))
        {
            return value;
        }

        Error(path, error);
        return null;
    }

    /// <summary>Checks a provider/deployment/alias name; reports and returns false when unusable.</summary>
    public bool CheckName(string name, string path, string what)
    {
        if (ConfigNames.IsValid(name))
        {
            return true;
        }

        Error(path, $"invalid {what} name '{name}': use letters, digits and '/', '.', ':', '-', '_' (starting with a letter or digit)");
        return false;
    }
}

/// <summary>The known keys of one YAML mapping, with their paths.</summary>
internal sealed class MapView(string path, Dictionary<string, YamlNode> entries)
{
    public string Path { get; } = path;

    public bool Has(string key) => entries.ContainsKey(key);

    public YamlNode? this[string key] => entries.GetValueOrDefault(key);

    public bool TryGet(string key, out YamlNode node) => entries.TryGetValue(key, out node!);

    public string PathOf(string key) => BindContext.Child(Path, key);
}
