using System.Collections.Frozen;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Switchyard.Auth;
using Switchyard.Configuration;
using Switchyard.Upstream;

namespace Switchyard.Routing;

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
        Authenticator = new KeyAuthenticator(config.Auth);
        Aliases = aliases;
        ModelsListJson = modelsJson;
        KeyPools = keyPools;
    }

    /// <summary>The configuration this table was built from.</summary>
    public GatewayConfig Config { get; }

    /// <summary>The client keys of this configuration.</summary>
    public KeyAuthenticator Authenticator { get; }

    /// <summary>Public model name → route.</summary>
    public FrozenDictionary<string, AliasRoute> Aliases { get; }

    /// <summary>The body of <c>GET /v1/models</c>, rendered once.</summary>
    public byte[] ModelsListJson { get; }

    /// <summary>Provider name → its key pool (providers with at least one key; shared by their deployments).</summary>
    public FrozenDictionary<string, KeyPool> KeyPools { get; }

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
            pools.ToFrozenDictionary(StringComparer.Ordinal));
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

/// <summary>An alias with its deployments resolved and its fallback chain linked.</summary>
public sealed class AliasRoute(ModelAlias alias, DeploymentTarget[] deployments, int[] weights, int[] priorities)
{
    private int roundRobin = -1;

    /// <summary>Priority tier of each entry of <see cref="Deployments"/> (lower first).</summary>
    public int[] Priorities { get; } = priorities;

    /// <summary>True when the alias has more than one priority tier.</summary>
    public bool Tiered { get; } = priorities.Distinct().Count() > 1;

    /// <summary>The one-step plan of a single-deployment alias without fallbacks, made once (see <see cref="Planner"/>).</summary>
    internal PlanStep[]? SinglePlan;

    /// <summary>The next round-robin start position.</summary>
    internal int NextRoundRobin() => (int)((uint)Interlocked.Increment(ref roundRobin) % (uint)Deployments.Length);

    /// <summary>The configured alias.</summary>
    public ModelAlias Alias { get; } = alias;

    /// <summary>The alias's own deployments, in config order.</summary>
    public DeploymentTarget[] Deployments { get; } = deployments;

    /// <summary>Routing weight of each entry of <see cref="Deployments"/>.</summary>
    public int[] Weights { get; } = weights;

    /// <summary>Sum of <see cref="Weights"/>.</summary>
    public int TotalWeight { get; } = weights.Sum();

    /// <summary>The fallback chain; set once while the table is built.</summary>
    public FallbackStep[] Fallbacks { get; internal set; } = [];
}

/// <summary>A fallback entry: another alias (routed by its weights) or one deployment.</summary>
public sealed record FallbackStep(string Name, AliasRoute? Alias, DeploymentTarget? Deployment);

/// <summary>A deployment as the dispatcher sees it: URIs, credentials and encoded model ready to send.</summary>
public sealed class DeploymentTarget
{
    private DeploymentTarget(DeploymentConfig config, KeyPool? keys)
    {
        Config = config;
        var baseUrl = config.Provider.BaseUrl.ToString().TrimEnd('/');
        ChatCompletionsUri = new Uri(baseUrl + "/chat/completions");
        EmbeddingsUri = new Uri(baseUrl + "/embeddings");
        EncodedModel = Encoding.UTF8.GetBytes(JsonSerializerHelpers.Quote(config.UpstreamModel));
        Keys = keys;
    }

    /// <summary>The configured deployment.</summary>
    public DeploymentConfig Config { get; }

    /// <summary>Deployment name (<c>deployments.NAME</c>).</summary>
    public string Name => Config.Name;

    /// <summary><c>{base_url}/chat/completions</c>.</summary>
    public Uri ChatCompletionsUri { get; }

    /// <summary><c>{base_url}/embeddings</c>.</summary>
    public Uri EmbeddingsUri { get; }

    /// <summary>The upstream model as a JSON string token (quotes included), spliced into bodies.</summary>
    public byte[] EncodedModel { get; }

    /// <summary>The provider's key pool, or null for keyless providers (and Bedrock signing with SigV4).</summary>
    public KeyPool? Keys { get; }

    /// <summary>
    /// Picks the key for <paramref name="message"/> (<see cref="KeyPool.Next"/>) and records the lease in its
    /// options (<see cref="KeyPool.LeaseOption"/>), where the attempt reads it back to report a refusal. Adapters
    /// call this where they set authentication; null for keyless providers.
    /// </summary>
    public KeyLease? LeaseKey(HttpRequestMessage message)
    {
        if (Keys is not { } pool)
        {
            return null;
        }

        var lease = pool.Next();
        if (pool.Count > 1)
        {
            // Only a pool with somewhere to rotate to needs the lease back after a failure; a single key skips
            // the per-request options dictionary (its cooldown would change nothing: it is the only key).
            message.Options.Set(KeyPool.LeaseOption, lease);
        }

        return lease;
    }

    /// <summary>The <c>Authorization: Bearer</c> header for <paramref name="message"/>'s key (see <see cref="LeaseKey"/>), or null when keyless.</summary>
    public AuthenticationHeaderValue? LeaseBearer(HttpRequestMessage message) => LeaseKey(message)?.Bearer;

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Creates the runtime view of <paramref name="config"/> with a key pool of its own (tests, tools).</summary>
    public static DeploymentTarget Create(DeploymentConfig config) => new(config, KeyPool.Standalone(config.Provider));

    /// <summary>Creates the runtime view of <paramref name="config"/> using <paramref name="keys"/> (the provider's pool).</summary>
    public static DeploymentTarget Create(DeploymentConfig config, KeyPool? keys) => new(config, keys);
}

/// <summary>Small JSON helpers that need no serializer (AOT).</summary>
internal static class JsonSerializerHelpers
{
    /// <summary>The JSON string literal for <paramref name="value"/>, quotes included.</summary>
    public static string Quote(string value) => "\"" + JsonEncodedText.Encode(value).ToString() + "\"";
}
