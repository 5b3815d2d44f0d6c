namespace Switchyard.Fleet;

/// <summary>
/// The Lua scripts of the shared limits (docs/adr/0013-redis-counters.md). A script runs atomically on Redis, so one
/// call checks every allowance of a request and takes them all or none, with no lock and no compensation: the
/// fleet-wide equivalent of <see cref="Governance.LimitBook"/>'s all-or-nothing take.
/// <para>Allowances are triples in ARGV after a fixed head: kind (<c>b</c> a per-minute bucket, <c>c</c> a concurrency
/// set), capacity, amount (for a settle: the delta to give back, negative to charge). A bucket is a hash
/// <c>{a: available, t: stamp ms}</c> refilled continuously at capacity per minute exactly like
/// <see cref="Governance.MinuteBucket"/>; it expires a minute after it would be full again (a missing bucket is a
/// full one, and a full one stays full: the minute only absorbs clock differences between the replicas and Redis). A concurrency set is a sorted set of lease ids scored by their deadline: expired ones are reclaimed
/// before counting, so a crashed replica's permits come back when their deadline passes.</para>
/// <para>Time is the callers' clock in ms (ARGV[1]); a stamp never moves backwards, so a replica whose clock lags
/// refills nothing until it catches up, and skew cannot mint tokens.</para>
/// </summary>
internal static class LimitScripts
{
    /// <summary>Refill of a bucket; shared by the scripts (Lua text, concatenated).</summary>
    private const string Refill = """
        local function bucket(key, cap, now)
          local v = redis.call('HMGET', key, 'a', 't')
          local a = tonumber(v[1]) or cap
          local t = tonumber(v[2]) or now
          if now > t then
            a = math.min(cap, a + cap * (now - t) / 60000)
            t = now
          end
          return a, t
        end
        local function store(key, cap, a, t)
          if a >= cap then
            redis.call('DEL', key)
          else
            redis.call('HSET', key, 'a', string.format('%.17g', a), 't', t)
            redis.call('PEXPIRE', key, math.ceil((cap - a) / cap * 60000) + 60000)
          end
        end
        local function extend(key, ms)
          if redis.call('PTTL', key) < ms then
            redis.call('PEXPIRE', key, ms)
          end
        end

        """;

    /// <summary>
    /// Acquire. KEYS: one per allowance, then the lease's marker (set on success, so a timed-out acquire can be undone
    /// exactly: <see cref="Settle"/> with <c>undo</c>). ARGV: now, lease id, lease deadline, then triples. Returns <c>{ok, index, wait_ms, r1, reset1, ...}</c>:
    /// ok 1 (all taken) or 0 (nothing taken; <c>index</c> is the first allowance that refused, <c>wait_ms</c> -1 when
    /// the amount exceeds the capacity), then per allowance what is left and the ms until it is whole again.
    /// </summary>
    public const string Acquire = Refill + """
        local now = tonumber(ARGV[1])
        local lease = ARGV[2]
        local deadline = tonumber(ARGV[3])
        local n = #KEYS - 1
        local out = {1, 0, 0}
        local avail = {}
        local stamp = {}
        for i = 1, n do
          local kind = ARGV[3 * i + 1]
          local cap = tonumber(ARGV[3 * i + 2])
          local amount = tonumber(ARGV[3 * i + 3])
          local left, wait
          if kind == 'b' then
            local a, t = bucket(KEYS[i], cap, now)
            avail[i] = a
            stamp[i] = t
            if amount > cap then wait = -1 elseif a < amount then wait = math.ceil((amount - a) / cap * 60000) end
            left = a
          else
            redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
            local held = redis.call('ZCARD', KEYS[i])
            if held >= cap then wait = 1000 end
            left = cap - held
          end
          if wait ~= nil and out[1] == 1 then
            out[1] = 0
            out[2] = i
            out[3] = wait
          end
          out[2 + 2 * i] = math.max(0, math.floor(left))
          out[3 + 2 * i] = kind == 'b' and math.max(0, math.ceil((cap - left) / cap * 60000)) or 0
        end
        if out[1] == 0 then
          return out
        end
        redis.call('SET', KEYS[n + 1], '1', 'PX', 120000)
        for i = 1, n do
          local cap = tonumber(ARGV[3 * i + 2])
          local amount = tonumber(ARGV[3 * i + 3])
          if ARGV[3 * i + 1] == 'b' then
            local a = avail[i] - amount
            store(KEYS[i], cap, a, stamp[i])
            out[2 + 2 * i] = math.max(0, math.floor(a))
            out[3 + 2 * i] = math.max(0, math.ceil((cap - a) / cap * 60000))
          else
            redis.call('ZADD', KEYS[i], deadline, lease)
            extend(KEYS[i], deadline - now + 60000)
            out[2 + 2 * i] = out[2 + 2 * i] - 1
          end
        end
        return out
        """;

    /// <summary>
    /// Settle (and cancel, and undo): KEYS as for <see cref="Acquire"/>. ARGV: now, lease id, then triples whose amount is
    /// what goes back to a bucket (negative: charged), then <c>undo</c> or <c>settle</c>. A concurrency allowance removes
    /// the lease from its set. An undo (sent after an acquire timed out, on the same connection, so after it) gives
    /// everything back only if the acquire did take it (its marker is there); a settle always applies, once.
    /// </summary>
    public const string Settle = Refill + """
        local now = tonumber(ARGV[1])
        local lease = ARGV[2]
        local n = #KEYS - 1
        if redis.call('DEL', KEYS[n + 1]) == 0 and ARGV[#ARGV] == 'undo' then
          return 0
        end
        for i = 1, n do
          local cap = tonumber(ARGV[3 * i + 1])
          local delta = tonumber(ARGV[3 * i + 2])
          if ARGV[3 * i] == 'b' then
            if delta ~= 0 then
              local a, t = bucket(KEYS[i], cap, now)
              store(KEYS[i], cap, math.min(cap, a + delta), t)
            end
          else
            redis.call('ZREM', KEYS[i], lease)
          end
        end
        return 1
        """;

    /// <summary>
    /// Renew: ARGV: now, new deadline, then one lease id per key. Pushes the deadline of leases still held (XX: a
    /// lease already settled or reclaimed is not brought back).
    /// </summary>
    public const string Renew = """
        local now = tonumber(ARGV[1])
        local deadline = tonumber(ARGV[2])
        for i = 1, #KEYS do
          redis.call('ZADD', KEYS[i], 'XX', deadline, ARGV[2 + i])
          if redis.call('PTTL', KEYS[i]) < deadline - now + 60000 then
            redis.call('PEXPIRE', KEYS[i], deadline - now + 60000)
          end
        end
        return 1
        """;
}
