namespace Switchyard.Fleet;

/// <summary>
/// The Lua scripts of the shared budgets (docs/adr/0013-redis-counters.md, "Budgets"). Each budget's current period is
/// two keys: <c>{p}:u:SCOPE:PERIOD</c>, a hash <c>{s: spent, r: reserved}</c> in micro-dollars, and
/// <c>{p}:ur:SCOPE:PERIOD</c>, the open reservations, a sorted set of <c>ID|AMOUNT</c> scored by their deadline (ms).
/// One call reserves in every budget of a request or in none, atomically, so concurrent requests on any number of
/// replicas cannot take together more than a budget has left: the fleet-wide equivalent of
/// <see cref="Governance.BudgetLedger"/>'s lock. Integer arithmetic only (HINCRBY), so sums are exact; amounts reach
/// Redis as the caller's decimal strings, never as Lua numbers (Lua 5.1 prints -0 as "-0", which HINCRBY refuses, and
/// numbers past 14 digits in exponent form).
/// <para>The running sum is not the record of spend: the usage records are. A missing hash (a new period, a Redis that
/// lost its data) is seeded from them: the reserve answers <c>{2, i, ...}</c> naming the budgets it needs, and the
/// replica calls again with their recorded spend. Two replicas seeding at once both read the records; the first seed
/// wins, the second finds the hash and ignores its own.</para>
/// </summary>
internal static class BudgetScripts
{
    /// <summary>Reclaim of expired reservations and period expiry; shared by the scripts (Lua text, concatenated).</summary>
    private const string Common = """
        local function reclaim(u, r, now)
          local expired = redis.call('ZRANGEBYSCORE', r, '-inf', now)
          if #expired > 0 then
            local total = 0
            for _, m in ipairs(expired) do
              total = total + tonumber(string.match(m, '|(%-?%d+)$'))
            end
            redis.call('HINCRBY', u, 'r', string.format('%d', -total))
            redis.call('ZREMRANGEBYSCORE', r, '-inf', now)
          end
        end
        local function expire(key, at)
          if at > 0 then
            redis.call('PEXPIREAT', key, at)
          end
        end

        """;

    /// <summary>
    /// Reserve. KEYS: per budget its hash then its reservations. ARGV: now ms, reservation id, deadline ms, then per
    /// budget: limit, amount, recorded spend (-1: unknown), expiry ms (0: never). Returns <c>{2, i...}</c> when budgets
    /// <c>i</c> need their recorded spend; else <c>{ok, refused index, s1, r1, s2, r2, ...}</c>: ok 1 with every amount
    /// reserved (the states after it), or 0 with nothing reserved (the states as they were).
    /// </summary>
    public const string Reserve = Common + """
        local now = tonumber(ARGV[1])
        local id = ARGV[2]
        local n = #KEYS / 2
        local missing = {2}
        for i = 1, n do
          if redis.call('EXISTS', KEYS[2 * i - 1]) == 0 then
            local seed = tonumber(ARGV[4 * i + 2])
            if seed < 0 then
              missing[#missing + 1] = i
            else
              redis.call('DEL', KEYS[2 * i])
              redis.call('HSET', KEYS[2 * i - 1], 's', ARGV[4 * i + 2], 'r', 0)
              expire(KEYS[2 * i - 1], tonumber(ARGV[4 * i + 3]))
            end
          end
        end
        if #missing > 1 then
          return missing
        end
        local out = {1, 0}
        for i = 1, n do
          local u = KEYS[2 * i - 1]
          reclaim(u, KEYS[2 * i], now)
          local s = tonumber(redis.call('HGET', u, 's'))
          local held = tonumber(redis.call('HGET', u, 'r'))
          local left = tonumber(ARGV[4 * i]) - s - held
          local amount = tonumber(ARGV[4 * i + 1])
          if out[1] == 1 and (left <= 0 or amount > left) then
            out[1] = 0
            out[2] = i
          end
          out[1 + 2 * i] = s
          out[2 + 2 * i] = held
        end
        if out[1] == 0 then
          return out
        end
        for i = 1, n do
          local amount = ARGV[4 * i + 1]
          redis.call('HINCRBY', KEYS[2 * i - 1], 'r', amount)
          redis.call('ZADD', KEYS[2 * i], ARGV[3], id .. '|' .. amount)
          expire(KEYS[2 * i], tonumber(ARGV[4 * i + 3]))
          out[2 + 2 * i] = out[2 + 2 * i] + tonumber(amount)
        end
        return out
        """;

    /// <summary>
    /// Settle (and undo, and the replay of spend made while Redis was away). KEYS: as for <see cref="Reserve"/>, then the
    /// settle's marker <c>{p}:us:ID</c>. ARGV: <c>settle</c> or <c>undo</c>, reservation id, actual cost, then per budget
    /// the amount reserved. The marker makes it apply once, however often it is sent (an undo after a lost answer, a
    /// replay after an outage). The reservation leaves the set and its amount leaves <c>r</c> only if it is still there
    /// (not reclaimed); a settle adds the cost to <c>s</c> in any case, unless the period's hash is gone (its spend is in
    /// the records the next seed reads). Returns <c>{applied, before1, after1, ...}</c>: spent before and after (-1 when
    /// not added), from which the replica raises each alert share exactly once across the fleet.
    /// </summary>
    public const string Settle = Common + """
        if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'PX', 86400000) then
          return {0}
        end
        local n = (#KEYS - 1) / 2
        local actual = tonumber(ARGV[3])
        local out = {1}
        for i = 1, n do
          local u = KEYS[2 * i - 1]
          local exists = redis.call('EXISTS', u) == 1
          local amount = ARGV[3 + i]
          if redis.call('ZREM', KEYS[2 * i], ARGV[2] .. '|' .. amount) == 1 and exists and amount ~= '0' then
            redis.call('HINCRBY', u, 'r', '-' .. amount)
          end
          if ARGV[1] == 'settle' and exists and actual ~= 0 then
            out[2 * i] = tonumber(redis.call('HGET', u, 's'))
            out[2 * i + 1] = redis.call('HINCRBY', u, 's', ARGV[3])
          else
            out[2 * i] = -1
            out[2 * i + 1] = -1
          end
        end
        return out
        """;

    /// <summary>Peek: KEYS the hash and the reservations of one budget; ARGV now. Returns <c>{1, s, r}</c>, or <c>{0}</c> when not seeded.</summary>
    public const string Peek = Common + """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          return {0}
        end
        reclaim(KEYS[1], KEYS[2], tonumber(ARGV[1]))
        return {1, tonumber(redis.call('HGET', KEYS[1], 's')), tonumber(redis.call('HGET', KEYS[1], 'r'))}
        """;
}
