using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Core;

/// <summary>
/// The API keys of one provider (<c>api_keys</c>, or <c>api_key_env</c> as a list), rotated per request, with
/// a cooldown for a key the upstream refused. Thread-safe. One pool per provider per <see cref="RouteTable"/>;
/// the cooldowns live in <see cref="KeyPoolRegistry"/>, keyed by provider name and key hash, so they survive a
/// config reload that keeps the key (a renamed provider or a new key starts fresh).
/// <para>How a key travels through a request, without changing any adapter or dispatcher signature:</para>
/// <list type="number">
/// <item>The adapter, where it sets authentication, calls <see cref="DeploymentTarget.LeaseKey"/>: that takes
/// <see cref="Next"/> and stores the <see cref="KeyLease"/> in the outgoing message's options under
/// <see cref="LeaseOption"/> (<c>switchyard.key-lease</c>). The adapter puts the lease's key in its header
/// (<c>Authorization: Bearer</c>, <c>x-api-key</c>, <c>api-key</c>, <c>x-goog-api-key</c>).</item>
/// <item>When the upstream answers with an error, the attempt (<see cref="PassthroughAttempts"/>,
/// <see cref="TranslatedAttempts"/>, <see cref="EmbeddingsAttempts"/>) classifies it as before, then hands the message and the failure to
/// <see cref="Report"/>, which reads the lease back and puts the key on cooldown: a 429 for
/// <see cref="KeyCooldowns.RateLimited"/> (or the upstream's <c>Retry-After</c>, when longer), a 401/402/403
/// (and a 429 <c>insufficient_quota</c>) for <see cref="KeyCooldowns.Auth"/>.</item>
/// <item>The dispatcher's ordinary retry on the same deployment builds a new request, whose lease is the next
/// key; a cooling key is skipped until its cooldown ends. When every key is cooling, the one whose cooldown
/// ends first is used (a pool never refuses to produce a key).</item>
/// </list>
/// <para>
/// Rotation must not be defeated by the failure policy, so <see cref="Report"/> adjusts the failure when the
/// pool still has another available key: a rate limit keeps its kind (so <c>on: rate_limited</c> still
/// applies) but loses its <c>Retry-After</c>, which was about the refused key only; a refused key
/// (<see cref="FailureKind.Auth"/>, which by default switches deployments) becomes
/// <see cref="FailureKind.Transient"/> ("key rejected, another key available"), which by default retries the
/// same deployment, with the upstream's body dropped so nothing about the key reaches the client. With no
/// other key available the failure is left exactly as classified.
/// </para>
/// <para>Keys are secrets: a pool, a lease and a status only ever show a key's index in the pool and a
/// fingerprint (the last four hex digits of its SHA-256).</para>
/// </summary>
public sealed class KeyPool
{
    /// <summary>Where the lease of a request's key is kept on the outgoing <see cref="HttpRequestMessage"/>.</summary>
    public static readonly HttpRequestOptionsKey<KeyLease> LeaseOption = new("switchyard.key-lease");

    /// <summary>Longest cooldown (a far-future <c>Retry-After</c> date would otherwise overflow timestamps).</summary>
    private static readonly TimeSpan MaxCooldown = TimeSpan.FromDays(7);

    private readonly KeyLease[] leases;
    private readonly TimeProvider time;
    private int cursor = -1;

    internal KeyPool(string provider, IReadOnlyList<(string Key, string Hash)> keys, KeyCooldowns cooldowns, TimeProvider time,
        Func<string, KeyState> state)
    {
        Provider = provider;
        Cooldowns = cooldowns;
        this.time = time;
        leases = new KeyLease[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            leases[i] = new KeyLease(this, i, keys[i].Key, keys[i].Hash, state(keys[i].Hash));
        }
    }

    /// <summary>The provider's name (<c>providers.NAME</c>).</summary>
    public string Provider { get; }

    /// <summary>Number of keys (at least one).</summary>
    public int Count => leases.Length;

    /// <summary>How long a refused key is put aside.</summary>
    public KeyCooldowns Cooldowns { get; }

    /// <summary>Keys not cooling down now.</summary>
    public int Available
    {
        get
        {
            var now = time.GetTimestamp();
            return leases.Count(l => l.State.AvailableAt(now));
        }
    }

    /// <summary>
    /// The key for the next request: round-robin over the keys not cooling down; when all are, the one whose
    /// cooldown ends first.
    /// </summary>
    public KeyLease Next()
    {
        if (leases.Length == 1)
        {
            return leases[0];
        }

        var now = time.GetTimestamp();
        while (true)
        {
            var last = Volatile.Read(ref cursor);
            var chosen = -1;
            for (var i = 1; i <= leases.Length; i++)
            {
                var index = (int)((uint)(last + i) % (uint)leases.Length);
                if (leases[index].State.AvailableAt(now))
                {
                    chosen = index;
                    break;
                }
            }

            if (chosen < 0)
            {
                return leases.MinBy(l => l.State.Until)!; // all cooling: the soonest back
            }

            // Advancing past the chosen key (not merely counting) keeps the rotation fair among available keys.
            if (Interlocked.CompareExchange(ref cursor, chosen, last) == last)
            {
                return leases[chosen];
            }
        }
    }

    /// <summary>
    /// Puts <paramref name="lease"/>'s key on cooldown after the upstream refused it: <see cref="FailureKind.RateLimited"/>
    /// for <see cref="KeyCooldowns.RateLimited"/>, <see cref="FailureKind.Auth"/> for <see cref="KeyCooldowns.Auth"/>,
    /// either extended to <paramref name="retryAfter"/> when that is longer. Other kinds say nothing about the key
    /// and are ignored. A cooldown is only ever extended, never shortened.
    /// </summary>
    public void Failed(KeyLease lease, FailureKind kind, TimeSpan? retryAfter)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (!ReferenceEquals(lease.Pool, this))
        {
            throw new ArgumentException("The lease belongs to another pool.", nameof(lease));
        }

        var cooldown = kind switch
        {
            FailureKind.RateLimited => Cooldowns.RateLimited,
            FailureKind.Auth => Cooldowns.Auth,
            _ => TimeSpan.Zero,
        };
        if (cooldown <= TimeSpan.Zero)
        {
            return;
        }

        if (retryAfter > cooldown)
        {
            cooldown = retryAfter.Value;
        }

        if (cooldown > MaxCooldown)
        {
            cooldown = MaxCooldown;
        }

        var now = time.GetTimestamp();
        lease.State.CoolDown(now + (long)(cooldown.TotalSeconds * time.TimestampFrequency), kind);
    }

    /// <summary>True when a key other than <paramref name="lease"/>'s is not cooling down.</summary>
    public bool HasAvailableOtherThan(KeyLease lease)
    {
        var now = time.GetTimestamp();
        foreach (var other in leases)
        {
            if (!ReferenceEquals(other, lease) && other.State.AvailableAt(now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every key's state now, by index (no secrets).</summary>
    public IReadOnlyList<KeyStatus> Status()
    {
        var now = time.GetTimestamp();
        var result = new KeyStatus[leases.Length];
        for (var i = 0; i < leases.Length; i++)
        {
            var (until, reason, failures) = leases[i].State.Read();
            var cooling = until > now;
            result[i] = new KeyStatus(i, leases[i].Fingerprint, !cooling,
                cooling ? time.GetElapsedTime(now, until) : TimeSpan.Zero, cooling ? reason : FailureKind.None, failures);
        }

        return result;
    }

    /// <summary>
    /// Reports an upstream error of the request <paramref name="message"/> to the pool its key came from (if it
    /// carries a lease) and returns the failure the dispatcher should act on. See the class remarks: the key is
    /// put on cooldown, and while another key is available a rate limit loses its <c>Retry-After</c> and a
    /// refused key becomes <see cref="FailureKind.Transient"/>, so the retry goes to the same deployment.
    /// </summary>
    public static UpstreamFailure Report(HttpRequestMessage message, UpstreamFailure failure)
    {
        if (!message.Options.TryGetValue(LeaseOption, out var lease) || lease is null)
        {
            return failure;
        }

        var kind = KeyFailureOf(failure);
        if (kind == FailureKind.None)
        {
            return failure;
        }

        var pool = lease.Pool;
        pool.Failed(lease, kind, failure.RetryAfter);
        if (!pool.HasAvailableOtherThan(lease))
        {
            return failure;
        }

        if (kind == FailureKind.RateLimited)
        {
            return failure with
            {
                RetryAfter = null,
                Message = $"{failure.Message} ({lease} of provider '{pool.Provider}' is rate limited; another key is available)",
            };
        }

        // The upstream's body is dropped: it is about our key (OpenAI's even echoes part of it).
        return failure with
        {
            Kind = FailureKind.Transient,
            RetryAfter = null,
            Body = null,
            ClientShaped = false,
            Message = $"{failure.Message} ({lease} of provider '{pool.Provider}' was refused; another key is available)",
        };
    }

    /// <summary>
    /// What a failure says about the key that was sent: <see cref="FailureKind.Auth"/> for a refused key
    /// (401/403 as classified, 402 payment required, a 429 <c>insufficient_quota</c>), <see cref="FailureKind.RateLimited"/>
    /// for a rate limit, <see cref="FailureKind.None"/> for anything that is not about the key.
    /// </summary>
    internal static FailureKind KeyFailureOf(UpstreamFailure failure) => failure.Kind switch
    {
        FailureKind.Auth => FailureKind.Auth,
        FailureKind.ClientError when failure.Status == 402 => FailureKind.Auth,
        FailureKind.RateLimited when failure.Body is { } body && body.AsSpan().IndexOf("insufficient_quota"u8) >= 0 => FailureKind.Auth,
        FailureKind.RateLimited => FailureKind.RateLimited,
        _ => FailureKind.None,
    };

    /// <summary>A pool for <paramref name="provider"/> with state of its own (tests, adapters used without a route table).</summary>
    public static KeyPool? Standalone(ProviderConfig provider) => new KeyPoolRegistry(TimeProvider.System).Create(provider);

    /// <inheritdoc />
    public override string ToString() => $"{Provider}: {Count} key(s), {Available} available";
}

/// <summary>
/// One use of a pooled key: which key (by index and fingerprint) a request was sent with, so a failure can be
/// reported against it. <see cref="ToString"/> never shows the key.
/// </summary>
public sealed class KeyLease
{
    internal KeyLease(KeyPool pool, int index, string key, string hash, KeyState state)
    {
        Pool = pool;
        Index = index;
        Key = key;
        Bearer = new AuthenticationHeaderValue("Bearer", key);
        Fingerprint = hash[^4..];
        State = state;
    }

    /// <summary>The pool the key belongs to.</summary>
    public KeyPool Pool { get; }

    /// <summary>Position of the key in the pool (config order, unset variables skipped).</summary>
    public int Index { get; }

    /// <summary>The last four hex digits of the key's SHA-256: enough to tell keys apart in logs, useless to an attacker.</summary>
    public string Fingerprint { get; }

    /// <summary>The key itself. Secret: goes into a request header, nowhere else.</summary>
    internal string Key { get; }

    /// <summary><c>Authorization: Bearer {key}</c>, built once. Secret.</summary>
    internal AuthenticationHeaderValue Bearer { get; }

    internal KeyState State { get; }

    /// <inheritdoc />
    public override string ToString() => $"key[{Index}] (sha256 …{Fingerprint})";
}

/// <summary>A key's state as shown by <c>GET /v1/deployments</c>.</summary>
/// <param name="Index">Position in the pool.</param>
/// <param name="Fingerprint">Last four hex digits of the key's SHA-256.</param>
/// <param name="Available">Not cooling down.</param>
/// <param name="CooldownRemaining">Time left on the cooldown (zero when available).</param>
/// <param name="Reason">Why it is cooling (<see cref="FailureKind.RateLimited"/> or <see cref="FailureKind.Auth"/>), else None.</param>
/// <param name="Failures">Refusals counted since the key was first configured (in this process).</param>
public readonly record struct KeyStatus(int Index, string Fingerprint, bool Available, TimeSpan CooldownRemaining, FailureKind Reason, int Failures);

/// <summary>The mutable part of a key: when its cooldown ends. Shared by every pool (old and new tables) holding the key.</summary>
internal sealed class KeyState
{
    private readonly Lock gate = new();
    private long until;
    private FailureKind reason;
    private int failures;

    /// <summary>Timestamp at which the cooldown ends (0: never refused).</summary>
    public long Until
    {
        get
        {
            lock (gate)
            {
                return until;
            }
        }
    }

    public bool AvailableAt(long now) => Until <= now;

    public void CoolDown(long end, FailureKind why)
    {
        lock (gate)
        {
            failures++;
            if (end > until)
            {
                until = end;
                reason = why;
            }
        }
    }

    public (long Until, FailureKind Reason, int Failures) Read()
    {
        lock (gate)
        {
            return (until, reason, failures);
        }
    }
}

/// <summary>
/// The cooldown state of every pooled key, by provider name and key hash; pools are built from it on every
/// (re)load, so a key that stays configured keeps its cooldown across a reload. States are held weakly: once no
/// route table uses a key any more, its state goes with it.
/// </summary>
public sealed class KeyPoolRegistry(TimeProvider time)
{
    private readonly Dictionary<string, WeakReference<KeyState>> states = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>The clock cooldowns are measured on.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>The pool of <paramref name="provider"/>'s keys, or null when it has none (keyless or SigV4).</summary>
    public KeyPool? Create(ProviderConfig provider)
    {
        var keys = provider.ApiKeys;
        if (keys.Count == 0)
        {
            return null;
        }

        var hashed = keys.Select(k => (k, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(k))))).ToList();
        lock (gate)
        {
            Sweep();
            return new KeyPool(provider.Name, hashed, provider.KeyCooldowns, Time, hash => StateOf(provider.Name, hash));
        }
    }

    /// <summary>Number of key states still referenced (tests).</summary>
    internal int LiveStates
    {
        get
        {
            lock (gate)
            {
                return states.Values.Count(w => w.TryGetTarget(out _));
            }
        }
    }

    private KeyState StateOf(string provider, string hash)
    {
        var id = provider + "\n" + hash;
        if (states.TryGetValue(id, out var weak) && weak.TryGetTarget(out var state))
        {
            return state;
        }

        state = new KeyState();
        states[id] = new WeakReference<KeyState>(state);
        return state;
    }

    private void Sweep()
    {
        List<string>? dead = null;
        foreach (var (id, weak) in states)
        {
            if (!weak.TryGetTarget(out _))
            {
                (dead ??= []).Add(id);
            }
        }

        foreach (var id in dead ?? [])
        {
            states.Remove(id);
        }
    }
}
