using System.Collections.Frozen;
using Switchyard.Providers;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Loads a YAML configuration into a validated <see cref="GatewayConfig"/>. YAML is read through
/// YamlDotNet's representation model and bound by hand (no reflection, so it survives Native AOT), which
/// also lets every error carry the exact path of the value at fault. Binding never stops at the first
/// problem: the result lists them all.
/// </summary>
public static class ConfigLoader
{
    private static readonly FrozenSet<string> TopLevelKeys =
        FrozenSet.Create(StringComparer.Ordinal, "server", "auth", "providers", "deployments", "models", "routes", "usage", "responses", "teams", "telemetry", "budgets", "storage", "cache", "redis", "guardrails");

    /// <summary>Loads a file. A missing or unreadable file yields one error whose path is the file.</summary>
    /// <param name="path">The YAML file.</param>
    /// <param name="env">Environment lookup (the process environment in production, a dictionary in tests).</param>
    /// <param name="providers">The provider kinds the file may use; <see cref="ProviderCatalog.Default"/> when null.</param>
    public static ConfigLoadResult LoadFile(string path, Func<string, string?> env, ProviderCatalog? providers = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(env);

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot read file: {ex.Message}";
            return ConfigLoadResult.Failure([new ConfigError(path, reason)]);
        }

        return LoadYaml(text, path, env, providers);
    }

    /// <summary>Loads YAML text.</summary>
    /// <param name="yaml">The document.</param>
    /// <param name="source">Where it came from; becomes <see cref="GatewayConfig.Source"/> and the path of file-level errors.</param>
    /// <param name="env">Environment lookup for <c>${VAR}</c>, API keys and key hashes.</param>
    /// <param name="providers">
    /// The provider kinds the document may use (<c>kind:</c>, <c>preset:</c>, <c>settings:</c> are validated
    /// against it); <see cref="ProviderCatalog.Default"/> when null. A kind missing from it is refused as unknown.
    /// </param>
    public static ConfigLoadResult LoadYaml(string yaml, string source, Func<string, string?> env, ProviderCatalog? providers = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(env);

        var root = Parse(yaml, source, out var parseError);
        if (parseError is not null)
        {
            return ConfigLoadResult.Failure([parseError]);
        }

        var ctx = new BindContext(env, providers ?? ProviderCatalog.Default);
        var config = Bind(ctx, root, source);
        return ctx.Errors.Count == 0 ? ConfigLoadResult.Success(config) : ConfigLoadResult.Failure(ctx.Errors);
    }

    private static YamlNode? Parse(string yaml, string source, out ConfigError? error)
    {
        error = null;
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException ex)
        {
            error = new ConfigError(source,
                $"YAML syntax error at line {ex.Start.Line}, column {ex.Start.Column}: {StripMarks(ex)}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // Some malformed inputs trip an internal state check in the scanner instead of a YamlException;
            // the scanner's position is still where it gave up.
            var at = scanner.CurrentPosition;
            error = new ConfigError(source, $"YAML syntax error at line {at.Line}, column {at.Column}: malformed document");
            return null;
        }

        switch (stream.Documents.Count)
        {
            case 0:
                return null; // empty file (or only comments): every default applies
            case > 1:
                error = new ConfigError(source,
                    $"only one YAML document is supported (found {stream.Documents.Count}; remove the extra '---')");
                return null;
            default:
                return stream.Documents[0].RootNode;
        }
    }

    private static GatewayConfig Bind(BindContext ctx, YamlNode? rootNode, string source)
    {
        MapView root;
        if (BindContext.IsNull(rootNode) || rootNode is YamlMappingNode)
        {
            root = ctx.Map(rootNode, "", TopLevelKeys) ?? new MapView("", []);
        }
        else
        {
            ctx.Error(source, $"the document must be a mapping with keys such as 'providers' and 'models', got {BindContext.Describe(rootNode!)}");
            root = new MapView("", []);
        }

        var server = ServerBinder.Bind(ctx, root["server"], "server");
        ctx.ServerBreaker = server.CircuitBreaker;
        var (teams, customers) = TeamsBinder.Bind(ctx, root["teams"], "teams");
        var routeRefs = new List<(string Path, string Route)>();
        var moderationRefs = new List<(string Path, string Alias)>();
        var guardrails = GuardrailsBinder.Bind(ctx, root["guardrails"], "guardrails", moderationRefs);
        ctx.GuardrailNames = guardrails.Keys;
        var auth = AuthBinder.Bind(ctx, root["auth"], "auth", teams.Select(t => t.Id).ToHashSet(StringComparer.Ordinal), routeRefs);
        var usage = UsageBinder.Bind(ctx, root["usage"], "usage");
        var responses = ResponsesBinder.Bind(ctx, root["responses"], "responses");
        var budgets = BudgetsBinder.Bind(ctx, root["budgets"], "budgets");
        var telemetry = TelemetryBinder.Bind(ctx, root["telemetry"], "telemetry");
        var storage = StorageBinder.Bind(ctx, root["storage"], "storage");
        var cache = CacheBinder.BindServer(ctx, root["cache"], "cache");
        var redis = RedisBinder.Bind(ctx, root["redis"], "redis");

        // The built-in echo pieces go in first (unless the file took their names) so the file can refer to
        // them: "fallbacks: [switchyard/echo]" is a handy last resort in demos and tests.
        var providers = ProviderBinder.Bind(ctx, root["providers"], "providers");
        var echo = server.EchoModel; // server.echo_model: false leaves the built-in model out entirely
        if (echo)
        {
            providers.TryAdd(BuiltInEcho.ProviderName, new ProviderDraft(BuiltInEcho.Provider, MissingKeyEnv: null));
        }


        var deployments = DeploymentBinder.Bind(ctx, root["deployments"], "deployments", providers);
        if (echo)
        {
            deployments.TryAdd(BuiltInEcho.DeploymentName, BuiltInEcho.Deployment);
        }


        var aliases = ModelBinder.Bind(ctx, root["models"], "models", deployments, providers);
        var aliasNames = aliases.Select(a => a.Name).Concat(echo ? [BuiltInEcho.AliasName] : []).ToHashSet(StringComparer.Ordinal);
        var models = FallbackResolver.Resolve(ctx, aliases, aliasNames, deployments);

        var routes = RouteBinder.Bind(ctx, root["routes"], "routes", aliasNames, FallbackPolicy.Default);
        BreakerBinder.CheckAliasDefaults(ctx, aliases);
        foreach (var (refPath, alias) in moderationRefs.Where(r => !aliasNames.Contains(r.Alias)))
        {
            ctx.Error(refPath, $"unknown model '{alias}'{Suggestions.Hint(alias, aliasNames)}; the moderation call goes through a model declared under models:");
        }
        CacheBinder.CheckReferences(ctx, aliasNames, cache, redis);
        foreach (var (refPath, route) in routeRefs.Where(r => !routes.Any(rule => rule.Name == r.Route)))
        {
            ctx.Error(refPath, $"unknown route '{route}'{Suggestions.Hint(route, routes.Select(r => r.Name))}; declare it under routes:");
        }

        var providerMap = providers.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.Config, StringComparer.Ordinal);
        var deploymentMap = deployments.Where(d => d.Value is not null).ToDictionary(d => d.Key, d => d.Value!, StringComparer.Ordinal);
        if (echo)
        {
            BuiltInEcho.AddMissing(providerMap, deploymentMap, models);
        }


        return new GatewayConfig(
            server,
            auth,
            providerMap.ToFrozenDictionary(StringComparer.Ordinal),
            deploymentMap.ToFrozenDictionary(StringComparer.Ordinal),
            models.ToFrozenDictionary(StringComparer.Ordinal))
        {
            Source = source,
            Routes = routes,
            Usage = usage,
            Responses = responses,
            Budgets = budgets,
            Teams = teams,
            Customers = customers,
            Telemetry = telemetry,
            Storage = storage,
            Cache = cache,
            Redis = redis,
            Guardrails = guardrails,
        };
    }

    /// <summary>YamlException messages start with "(Line: l, Col: c, Idx: i) - (...): "; the position is reported separately.</summary>
    private static string StripMarks(YamlException ex)
    {
        var message = ex.Message;
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && marker >= 0 ? message[(marker + 3)..] : message;
    }
}
