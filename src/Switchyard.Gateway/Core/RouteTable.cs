using System.Collections.Frozen;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Switchyard.Core;

/// <summary>
/// The runtime view of one <see cref="GatewayConfig"/>: everything the hot path needs, precomputed at load
/// (upstream URIs, encoded model tokens, auth header values, the models listing) so a request does lookups,
/// not string work. Immutable; swapped whole by <see cref="RouterState"/> on reload.
/// </summary>
public sealed class RouteTable
{
    private RouteTable(GatewayConfig config, FrozenDictionary<string, AliasRoute> aliases, byte[] modelsJson,
        FrozenDictionary<string, KeyPool> keyPools)
    {
        Config = config;
        Aliases = aliases;
        ModelsListJson = modelsJson;
        KeyPools = keyPools;
    }

    /// <summary>The configuration this table was built from.</summary>
    public GatewayConfig Config { get; }

    /// <summary>Public model name → route.</summary>
    public FrozenDictionary<string, AliasRoute> Aliases { get; }

    /// <summary>The body of <c>GET /v1/models</c>, rendered once.</summary>
    public byte[] ModelsListJson { get; }

    /// <summary>Provider name → its key pool (providers with at least one key; shared by their deployments).</summary>
    public FrozenDictionary<string, KeyPool> KeyPools { get; }

    /// <summary>Every deployment by config name: where a stored job's poll goes (its owner, not a route).</summary>
    public FrozenDictionary<string, DeploymentTarget> Deployments { get; private init; } = FrozenDictionary<string, DeploymentTarget>.Empty;

    /// <summary>Builds the table; the config is already validated, so this cannot fail on user input.</summary>
    /// <param name="config">The validated configuration.</param>
    /// <param name="keys">
    /// Where key cooldowns live across reloads (one registry per gateway, on its clock).
    /// </param>
    public static RouteTable Build(GatewayConfig config, KeyPoolRegistry keys)
    {
        var pools = new Dictionary<string, KeyPool>(StringComparer.Ordinal);
        foreach (var (name, provider) in config.Providers)
        {
            if (keys.Create(provider) is { } pool)
            {
                pools[name] = pool;
            }
        }

        var deployments = new Dictionary<string, DeploymentTarget>(StringComparer.Ordinal);
        foreach (var (name, d) in config.Deployments)
        {
            // Every deployment of a provider shares its pool (a provider the table does not list gets its own).
            deployments[name] = DeploymentTarget.Create(d, pools.GetValueOrDefault(d.Provider.Name) ?? keys.Create(d.Provider));
        }

        var aliases = new Dictionary<string, AliasRoute>(StringComparer.Ordinal);
        foreach (var (name, alias) in config.Models)
        {
            var own = alias.Deployments.Select(w => deployments[w.Deployment.Name]).ToArray();
            var weights = alias.Deployments.Select(w => w.Weight).ToArray();
            var priorities = alias.Deployments.Select(w => w.Priority).ToArray();
            aliases[name] = new AliasRoute(alias, own, weights, priorities);
        }

        // Fallback chains are resolved after every alias exists (an alias may fall back to a later one).
        foreach (var route in aliases.Values)
        {
            var chain = new List<FallbackStep>();
            foreach (var target in route.Alias.Fallbacks)
            {
                chain.Add(target.IsAlias
                    ? new FallbackStep(target.Name, aliases[target.Name], null)
                    : new FallbackStep(target.Name, null, deployments[target.Name]));
            }

            route.Fallbacks = chain.ToArray();
        }

        return new RouteTable(config, aliases.ToFrozenDictionary(StringComparer.Ordinal), RenderModels(config),
            pools.ToFrozenDictionary(StringComparer.Ordinal))
        {
            Deployments = deployments.ToFrozenDictionary(StringComparer.Ordinal),
        };
    }

    private static byte[] RenderModels(GatewayConfig config)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var name in config.Models.Keys.Order(StringComparer.Ordinal))
            {
                WriteModel(w, config.Models[name]);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Writes one OpenAI <c>model</c> object, with a <c>capabilities</c> member (what at least one of the
    /// alias's deployments can do; the router picks a capable one) and the deployments behind it.
    /// </summary>
    public static void WriteModel(Utf8JsonWriter w, ModelAlias alias)
    {
        w.WriteStartObject();
        w.WriteString("id", alias.Name);
        w.WriteString("object", "model");
        w.WriteNumber("created", 0);
        w.WriteString("owned_by", "switchyard");
        var caps = alias.Deployments.Select(d => d.Deployment.Capabilities).ToList();
        w.WriteStartObject("capabilities");
        w.WriteBoolean("tools", caps.Any(c => c.Tools));
        w.WriteBoolean("vision", caps.Any(c => c.Vision));
        w.WriteBoolean("json_schema", caps.Any(c => c.JsonSchema));
        w.WriteBoolean("thinking", caps.Any(c => c.Thinking));
        WriteMax(w, "context_window", caps.Select(c => c.ContextWindow));
        WriteMax(w, "max_output_tokens", caps.Select(c => c.MaxOutputTokens));
        w.WriteEndObject();
        w.WriteStartArray("deployments");
        foreach (var d in alias.Deployments)
        {
            w.WriteStringValue(d.Deployment.Name);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMax(Utf8JsonWriter w, string name, IEnumerable<int?> values)
    {
        var known = values.ToList();
        if (known.Count > 0 && known.All(v => v is not null))
        {
            w.WriteNumber(name, known.Max()!.Value);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
