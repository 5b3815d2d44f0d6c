using System.Security.Cryptography;
using System.Text.Json;

namespace Switchyard.WebConsole;

/// <summary>
/// The running configuration as the console shows it: what it routes and how, never a secret. Provider keys appear
/// as a count, extra headers and kind settings by name only (a header or a setting may carry a credential), and key
/// hashes not at all. The same view hashed is the config's <c>version</c>, so two loads of an equal file agree.
/// </summary>
internal static class ConfigView
{
    /// <summary>Writes the view of <paramref name="config"/> as the members of the current JSON object.</summary>
    public static void Write(Utf8JsonWriter w, GatewayConfig config)
    {
        w.WriteString("source", config.Source);
        Providers(w, config);
        w.WriteStartObject("deployments");
        foreach (var (name, d) in config.Deployments.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(name);
            w.WriteString("provider", d.Provider.Name);
            w.WriteString("model", d.UpstreamModel);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        Models(w, config);
        w.WriteStartArray("routes");
        foreach (var route in config.Routes)
        {
            w.WriteStartObject();
            w.WriteString("name", route.Name);
            w.WriteString("model", route.PrimaryModel);
            w.WriteNumber("split_arms", route.Split.Count);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("teams");
        foreach (var team in config.Teams)
        {
            w.WriteStringValue(team.Id);
        }

        w.WriteEndArray();
        w.WriteNumber("config_keys", config.Auth.Keys.Count);
    }

    /// <summary>The version of <paramref name="config"/>: the first 12 hex digits of the SHA-256 of its view.</summary>
    public static string Version(GatewayConfig config)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            Write(w, config);
            w.WriteEndObject();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan))[..12];
    }

    private static void Providers(Utf8JsonWriter w, GatewayConfig config)
    {
        w.WriteStartObject("providers");
        foreach (var (name, p) in config.Providers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(name);
            w.WriteString("kind", p.Kind);
            w.WriteString("preset", p.Preset);
            w.WriteString("base_url", p.BaseUrl.GetLeftPart(UriPartial.Path)); // never a query string (some carry a key)
            w.WriteNumber("api_keys", p.ApiKeys.Count);
            w.WriteStartArray("headers");
            foreach (var header in p.Headers)
            {
                w.WriteStringValue(header.Key);
            }

            w.WriteEndArray();
            w.WriteStartArray("settings");
            foreach (var setting in p.Settings.Keys.Order(StringComparer.Ordinal))
            {
                w.WriteStringValue(setting);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Models(Utf8JsonWriter w, GatewayConfig config)
    {
        w.WriteStartObject("models");
        foreach (var (name, alias) in config.Models.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(name);
            w.WriteStartArray("deployments");
            foreach (var d in alias.Deployments)
            {
                w.WriteStringValue(d.Deployment.Name);
            }

            w.WriteEndArray();
            w.WriteStartArray("fallbacks");
            foreach (var f in alias.Fallbacks)
            {
                w.WriteStringValue(f.Name);
            }

            w.WriteEndArray();
            w.WriteString("routing", alias.Strategy);
            w.WriteBoolean("hedge", alias.Hedge is not null);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }
}
