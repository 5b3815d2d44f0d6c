namespace Switchyard.Core;

/// <summary>
/// What a key may do, ordered: each role includes the ones below it. Endpoints declare the role they need;
/// the authorizer compares (see <c>Auth/Authorizer</c>).
/// </summary>
public enum KeyRole
{
    /// <summary>Model traffic: chat, responses, messages, generateContent, embeddings, the models list.</summary>
    Client = 0,

    /// <summary>Client, plus what exposes the gateway's inside: deployments and their health, route explain, drills.</summary>
    Operator = 1,

    /// <summary>Everything, including the administration of keys, teams and budgets.</summary>
    Admin = 2,
}

/// <summary>
/// The authenticated caller of one request: the key's public id (recorded in usage, safe to log), its role and
/// its routing permission. Never holds the key itself.
/// </summary>
/// <param name="KeyId">The key's id (<c>auth.keys[].id</c>, <c>master</c>, or <c>anonymous</c> when auth is open).</param>
/// <param name="Role">What the key may do.</param>
/// <param name="AllowRoutingOverrides">Whether it may steer routing itself (<c>models</c>, <c>x-switchyard-fallback</c>, <c>x-switchyard-route</c>).</param>
public sealed record Caller(string KeyId, KeyRole Role, bool AllowRoutingOverrides = true)
{
    /// <summary>Key id recorded when auth is open (no keys configured).</summary>
    public const string AnonymousId = "anonymous";

    /// <summary>Key id of the master key.</summary>
    public const string MasterId = "master";

    /// <summary>Every caller when no key exists (loopback only): may do everything.</summary>
    public static Caller Anonymous { get; } = new(AnonymousId, KeyRole.Admin);

    /// <summary>Whether this caller may use an endpoint that needs <paramref name="needed"/>.</summary>
    public bool Has(KeyRole needed) => Role >= needed;

    /// <summary>The key's team, allowed models, limits, budget and expiry (<see cref="KeyPolicy.None"/> for config keys without any).</summary>
    public KeyPolicy Policy { get; init; } = KeyPolicy.None;
}

/// <summary>
/// Where keys live: the config file's and the admin API's virtual keys (hashes only), replaced whole on every change,
/// so a key created or revoked through the API works or fails from the next request, without a reload.
/// Lookups are by SHA-256 of the presented key, so no store ever holds a key in clear.
/// </summary>
public interface IKeyStore
{
    /// <summary>True when no key of any kind exists: every caller is <see cref="Caller.Anonymous"/>.</summary>
    bool IsOpen { get; }

    /// <summary>The caller whose key hashes to <paramref name="sha256"/>, or null. Compares in constant time.</summary>
    Caller? Find(ReadOnlySpan<byte> sha256);

    /// <summary>
    /// The caller of key id <paramref name="keyId"/> (its policy as it is now), or null: for work that ends after its
    /// request, such as a batch whose cost is charged to its key's budgets when it completes. A scan, not a hot-path lookup.
    /// </summary>
    Caller? ById(string keyId) => null;
}
