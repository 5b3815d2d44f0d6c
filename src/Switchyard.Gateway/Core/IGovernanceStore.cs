namespace Switchyard.Core;

/// <summary>
/// A virtual key as the admin API keeps it: everything but the secret, which exists only in the response that
/// created or rotated it. <see cref="Hash"/> is the SHA-256 the authenticator compares; <see cref="Prefix"/> is
/// the first characters of the secret (<c>sk-sy-AbCd</c>), shown in listings so people can tell keys apart.
/// </summary>
/// <param name="Id">Public id (<c>key_...</c>): recorded in usage, safe to log, stable across rotations.</param>
/// <param name="Name">A label for people.</param>
/// <param name="Hash">SHA-256 of the secret's UTF-8 bytes.</param>
/// <param name="Prefix">The secret's recognizable beginning (10 characters), never enough to use it.</param>
public sealed record VirtualKey(string Id, string Name, byte[] Hash, string Prefix)
{
    /// <summary>What the key may do.</summary>
    public KeyRole Role { get; init; } = KeyRole.Client;

    /// <summary>Whether it may steer routing itself (<c>models</c>, <c>x-switchyard-fallback</c>, <c>x-switchyard-route</c>).</summary>
    public bool AllowRoutingOverrides { get; init; } = true;

    /// <summary>Team, customer, allowed models and routes, limits, budget, expiry, metadata.</summary>
    public KeyPolicy Policy { get; init; } = KeyPolicy.None;

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last changed (created, updated, rotated or revoked).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When it was revoked; a revoked key never authenticates again.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>The hash of the secret a rotation replaced, while its grace period lasts (else null).</summary>
    public byte[]? PreviousHash { get; init; }

    /// <summary>Until when <see cref="PreviousHash"/> still authenticates.</summary>
    public DateTimeOffset? PreviousValidUntil { get; init; }

    /// <summary>The key id of the admin who created it (<c>master</c> or an admin key's id).</summary>
    public string? CreatedBy { get; init; }
}

/// <summary>Everything the governance store holds, as loaded at start.</summary>
/// <param name="Keys">Every virtual key, revoked ones included.</param>
/// <param name="Teams">Teams created through the admin API.</param>
/// <param name="Customers">Customers registered through the admin API.</param>
public sealed record GovernanceData(IReadOnlyList<VirtualKey> Keys, IReadOnlyList<TeamInfo> Teams, IReadOnlyList<CustomerInfo> Customers);

/// <summary>
/// Durable storage of what the admin API creates: virtual keys (hashes only), teams and customers. The gateway
/// reads it whole at start and writes through it on every change, keeping its own in-memory snapshot for
/// requests, so the store is never on the request path. Writes are whole-row upserts keyed by id, simple enough
/// for any SQL database (SQLite now; PostgreSQL later). Implementations throw on storage failures.
/// </summary>
public interface IGovernanceStore : IDisposable
{
    /// <summary>Everything stored.</summary>
    GovernanceData Load();

    /// <summary>Inserts the key, or replaces the stored one with the same id.</summary>
    void SaveKey(VirtualKey key);

    /// <summary>Inserts the team, or replaces the stored one with the same id.</summary>
    void SaveTeam(TeamInfo team);

    /// <summary>Deletes a team; false when none has that id.</summary>
    bool DeleteTeam(string id);

    /// <summary>Inserts the customer, or replaces the stored one with the same team and id.</summary>
    void SaveCustomer(CustomerInfo customer);

    /// <summary>Deletes a customer; false when the team has none with that id.</summary>
    bool DeleteCustomer(string teamId, string id);
}
