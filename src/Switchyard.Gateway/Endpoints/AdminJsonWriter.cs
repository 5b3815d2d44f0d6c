using System.Globalization;
using System.Text.Json;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// Keys, teams and customers as the admin API shows them. A key's secret is written only when one was just
/// made (<c>key</c>, at create and rotate); listings show its first characters (<c>prefix</c>). Objects of the
/// config file say <c>"source": "config"</c> (read-only through the API); the API's own say <c>"api"</c>.
/// </summary>
internal static class AdminJsonWriter
{
    /// <summary>A stored key.</summary>
    public static void Key(Utf8JsonWriter w, VirtualKey k, DateTimeOffset now, string? secret = null)
    {
        w.WriteStartObject();
        w.WriteString("object", "key");
        w.WriteString("id", k.Id);
        if (secret is not null)
        {
            w.WriteString("key", secret);
        }

        w.WriteString("name", k.Name);
        w.WriteString("source", "api");
        w.WriteString("prefix", k.Prefix);
        w.WriteString("status", k.RevokedAt is not null ? "revoked" : k.Policy.ExpiresAt <= now ? "expired" : "active");
        KeyPolicy(w, k.Role, k.AllowRoutingOverrides, k.Policy);
        Time(w, "created_at", k.CreatedAt);
        w.WriteString("created_by", k.CreatedBy);
        Time(w, "updated_at", k.UpdatedAt);
        Time(w, "revoked_at", k.RevokedAt);
        Time(w, "previous_key_valid_until", k.PreviousValidUntil > now ? k.PreviousValidUntil : null);
        w.WriteEndObject();
    }

    /// <summary>A key of the config file (<c>auth.keys</c>).</summary>
    public static void Key(Utf8JsonWriter w, ClientKey k, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("object", "key");
        w.WriteString("id", k.Id);
        w.WriteString("name", k.Id);
        w.WriteString("source", "config");
        w.WriteNull("prefix");
        w.WriteString("status", k.Policy.ExpiresAt <= now ? "expired" : "active");
        KeyPolicy(w, k.Role, k.AllowRoutingOverrides, k.Policy);
        w.WriteEndObject();
    }

    /// <summary>A team.</summary>
    public static void Team(Utf8JsonWriter w, TeamInfo t, bool fromConfig)
    {
        w.WriteStartObject();
        w.WriteString("object", "team");
        w.WriteString("id", t.Id);
        w.WriteString("name", t.Name);
        w.WriteString("source", fromConfig ? "config" : "api");
        Strings(w, "allowed_models", t.AllowedModels);
        AdminPolicyJson.WriteLimits(w, "limits", t.Limits);
        AdminPolicyJson.WriteBudget(w, "budget", t.Budget);
        w.WriteEndObject();
    }

    /// <summary>A registered customer.</summary>
    public static void Customer(Utf8JsonWriter w, CustomerInfo c, bool fromConfig)
    {
        w.WriteStartObject();
        w.WriteString("object", "customer");
        w.WriteString("id", c.Id);
        w.WriteString("team", c.TeamId);
        w.WriteString("name", c.Name);
        w.WriteString("source", fromConfig ? "config" : "api");
        AdminPolicyJson.WriteLimits(w, "limits", c.Limits);
        AdminPolicyJson.WriteBudget(w, "budget", c.Budget);
        w.WriteEndObject();
    }

    /// <summary>The answer to a delete: <c>{"object": ..., "id": ..., "deleted": true}</c>, as OpenAI's deletes answer.</summary>
    public static void Deleted(Utf8JsonWriter w, string type, string id, string? team = null)
    {
        w.WriteStartObject();
        w.WriteString("object", type);
        w.WriteString("id", id);
        if (team is not null)
        {
            w.WriteString("team", team);
        }

        w.WriteBoolean("deleted", true);
        w.WriteEndObject();
    }

    private static void KeyPolicy(Utf8JsonWriter w, KeyRole role, bool overrides, KeyPolicy p)
    {
        w.WriteString("role", GovernanceRules.RoleName(role));
        w.WriteString("team", p.TeamId);
        w.WriteString("customer", p.CustomerId);
        Strings(w, "allowed_models", p.AllowedModels);
        Strings(w, "allowed_routes", p.AllowedRoutes);
        Strings(w, "guardrails", p.Guardrails);
        w.WriteBoolean("allow_routing_overrides", overrides);
        w.WriteStartObject("metadata");
        foreach (var (k, v) in p.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            w.WriteString(k, v);
        }

        w.WriteEndObject();
        Time(w, "expires_at", p.ExpiresAt);
        AdminPolicyJson.WriteLimits(w, "limits", p.Limits);
        AdminPolicyJson.WriteModelLimits(w, "model_limits", p.ModelLimits);
        AdminPolicyJson.WriteBudget(w, "budget", p.Budget);
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    /// <summary>An instant as ISO 8601 UTC with milliseconds (<c>2027-01-31T00:00:00.000Z</c>), or null.</summary>
    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? at)
    {
        if (at is { } t)
        {
            w.WriteString(name, t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
