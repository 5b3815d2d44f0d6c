using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Switchyard.Auth;

/// <summary>
/// One key the store accepts: the SHA-256 of its secret, who it authenticates as, and the instant (Unix ms) from
/// which it no longer does (<see cref="long.MaxValue"/>: never).
/// </summary>
public readonly record struct KeyEntry(byte[] Hash, Caller Caller, long NotAfterMs = long.MaxValue);

/// <summary>
/// Every key the gateway accepts: the master key (admin), <c>auth.keys</c> and the virtual keys of the admin
/// API, indexed by the first 8 bytes of their SHA-256; the full 32 bytes are then compared in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), so timing reveals nothing about stored keys.
/// <see cref="Replace(IEnumerable{KeyEntry}, bool)"/> swaps the whole index at once (a reload, an admin change):
/// a request sees the old keys or the new ones, never a mix, and a revoked key fails from the next request on.
/// An entry past its <see cref="KeyEntry.NotAfterMs"/> (an expired key, a rotated secret after its grace) is
/// refused like an unknown one, on the gateway's clock, without waiting for the next swap.
/// </summary>
public sealed class KeyStore : IKeyStore
{
    private readonly TimeProvider time;
    private Snapshot current;

    /// <summary>Indexes the keys of <paramref name="auth"/> (the system clock).</summary>
    public KeyStore(AuthSettings auth)
        : this(auth, TimeProvider.System)
    {
    }

    /// <summary>Indexes the keys of <paramref name="auth"/>; expiry is judged on <paramref name="time"/>.</summary>
    public KeyStore(AuthSettings auth, TimeProvider time)
    {
        this.time = time;
        current = Build(Entries(auth), auth.IsOpen);
    }

    /// <inheritdoc />
    public bool IsOpen => Volatile.Read(ref current).Open;

    /// <summary>Replaces every key at once with those of <paramref name="auth"/>.</summary>
    public void Replace(AuthSettings auth) => Replace(Entries(auth), auth.IsOpen);

    /// <summary>Replaces every key at once; <paramref name="open"/>: no key exists, every caller is anonymous.</summary>
    public void Replace(IEnumerable<KeyEntry> entries, bool open) => Volatile.Write(ref current, Build(entries, open));

    /// <inheritdoc />
    public Caller? Find(ReadOnlySpan<byte> sha256)
    {
        var snapshot = Volatile.Read(ref current);
        if (snapshot.ByPrefix.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(sha256), out var candidates))
        {
            foreach (var entry in candidates)
            {
                if (CryptographicOperations.FixedTimeEquals(entry.Hash, sha256))
                {
                    return entry.NotAfterMs == long.MaxValue || time.GetUtcNow().ToUnixTimeMilliseconds() < entry.NotAfterMs ? entry.Caller : null;
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    public Caller? ById(string keyId)
    {
        foreach (var entries in Volatile.Read(ref current).ByPrefix.Values)
        {
            foreach (var entry in entries)
            {
                if (entry.Caller.KeyId == keyId)
                {
                    return entry.Caller;
                }
            }
        }

        return null;
    }

    /// <summary>The entries of the config file's keys: the master key and <c>auth.keys</c>.</summary>
    public static IEnumerable<KeyEntry> Entries(AuthSettings auth)
    {
        foreach (var k in auth.Keys)
        {
            yield return new KeyEntry(k.Hash, new Caller(k.Id, k.Role, k.AllowRoutingOverrides) { Policy = k.Policy }, NotAfter(k.Policy.ExpiresAt));
        }

        if (auth.MasterKeyHash is { } master)
        {
            yield return new KeyEntry(master, new Caller(Caller.MasterId, KeyRole.Admin));
        }
    }

    /// <summary>An expiry as a <see cref="KeyEntry.NotAfterMs"/>.</summary>
    public static long NotAfter(DateTimeOffset? expiresAt) => expiresAt?.ToUnixTimeMilliseconds() ?? long.MaxValue;

    private static Snapshot Build(IEnumerable<KeyEntry> entries, bool open)
    {
        var index = entries
            .GroupBy(k => BinaryPrimitives.ReadUInt64LittleEndian(k.Hash))
            .ToFrozenDictionary(g => g.Key, g => g.ToArray());
        return new Snapshot(open, index);
    }

    private sealed record Snapshot(bool Open, FrozenDictionary<ulong, KeyEntry[]> ByPrefix);
}
