using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Switchyard.Auth;

/// <summary>
/// The key store fed by configuration: the master key (admin) and <c>auth.keys</c>, indexed by the first
/// 8 bytes of their SHA-256; the full 32 bytes are then compared in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), so timing reveals nothing about stored keys.
/// <see cref="Replace"/> swaps the whole index at once (a reload, later the admin API): a request sees the
/// old keys or the new ones, never a mix.
/// </summary>
public sealed class KeyStore : IKeyStore
{
    private Snapshot current;

    /// <summary>Indexes the keys of <paramref name="auth"/>.</summary>
    public KeyStore(AuthSettings auth) => current = Build(auth);

    /// <inheritdoc />
    public bool IsOpen => Volatile.Read(ref current).Open;

    /// <summary>Replaces every key at once.</summary>
    public void Replace(AuthSettings auth) => Volatile.Write(ref current, Build(auth));

    /// <inheritdoc />
    public Caller? Find(ReadOnlySpan<byte> sha256)
    {
        var snapshot = Volatile.Read(ref current);
        if (snapshot.ByPrefix.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(sha256), out var candidates))
        {
            foreach (var (hash, caller) in candidates)
            {
                if (CryptographicOperations.FixedTimeEquals(hash, sha256))
                {
                    return caller;
                }
            }
        }

        return null;
    }

    private static Snapshot Build(AuthSettings auth)
    {
        var all = auth.Keys.Select(k => (k.Hash, new Caller(k.Id, k.Role, k.AllowRoutingOverrides))).ToList();
        if (auth.MasterKeyHash is { } master)
        {
            all.Add((master, new Caller(Caller.MasterId, KeyRole.Admin)));
        }

        var index = all
            .GroupBy(k => BinaryPrimitives.ReadUInt64LittleEndian(k.Item1))
            .ToFrozenDictionary(g => g.Key, g => g.ToArray());
        return new Snapshot(auth.IsOpen, index);
    }

    private sealed record Snapshot(bool Open, FrozenDictionary<ulong, (byte[] Hash, Caller Caller)[]> ByPrefix);
}
