public import Redis

/// The level-3 SID claim for an item tokenized online: atomic, idempotent, append-only.
///
/// **Keys** `KEYS[1]` = `resid:{ns}:item:{bundle}:{item}`, a string `c1:c2:c3`: the item's SID.
/// `KEYS[2 ... n+1]` = `resid:{ns}:sid3:{bundle}:{c1}:{c2}` for each candidate group in order,
/// a hash of the codes claimed online in the group: field `<c3>` = item key, plus field `next`
/// = the next overflow code to try.
///
/// **Arguments** `ARGV[1]` item key, `ARGV[2]` g3 (the level-3 capacity of every group in the
/// bundle), `ARGV[3]` n (the number of candidate groups, at least 1), then per group in order:
/// `c1`, `c2`, `k` and `k` candidate level-3 codes in preference order (best cosine first),
/// each in `0..<g3`. The first group is the item's own; the others are the groups it spills to.
///
/// **Semantics** (``Level3Claimer``'s, which ``InMemoryLevel3Claimer`` implements in process;
/// ``RedisLevel3Claimer`` runs this script):
/// 1. If the item already has an SID, return it unchanged with `newlyAssigned = 0`, even if
///    this call's groups differ: an SID never changes within a bundle.
/// 2. Otherwise claim, in the first group that has one, the first candidate not yet taken
///    there (`HSETNX`): the own group while it has room, else the nearest sibling with room.
/// 3. If no group has a free candidate, take the own group's next overflow code `g3, g3+1, ...`
///    (a new level-3 token rather than a collision).
/// 4. Store the SID under `KEYS[1]` and return `{c1, c2, c3, 1, rank}`, where `rank` is the
///    position of the group it landed in (0: own group, above 0: spilled). For an existing SID
///    `rank` is its group's position among this call's groups, or -1 when none matches.
///
/// The whole script runs atomically on the server, so two daemon instances can never give one
/// code to two items. Codes held by the bundle's own (offline) items are not in these hashes:
/// ``RedisLevel3Claimer`` passes only candidates the frozen bundle leaves free. All keys must
/// live on one server (no Redis Cluster slot spreading), as every ReSID key does.
public enum SIDClaimScript {
    /// The script.
    public static let script = RedisScript(name: "sid3-claim", source: source)

    static let source = #"""
        local item, g3, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        if item == nil or item == '' then
          return redis.error_reply('ERR sid3 claim: ARGV[1] item key is empty')
        end
        if not g3 or not n or g3 < 1 or n < 1 or #KEYS ~= n + 1 then
          return redis.error_reply('ERR sid3 claim: ARGV[2..3] g3 and n must be integers >= 1, with n + 1 keys')
        end
        local groups, at = {}, 4
        for g = 1, n do
          local c1, c2, k = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
          if not c1 or not c2 or not k or c1 < 0 or c2 < 0 or k < 0 or at + 2 + k > #ARGV then
            return redis.error_reply('ERR sid3 claim: group ' .. g .. ' needs c1, c2 >= 0 and k codes')
          end
          groups[g] = {c1, c2, at + 3, k}
          at = at + 3 + k
        end
        local existing = redis.call('GET', KEYS[1])
        if existing then
          local a, b, c = string.match(existing, '^(%d+):(%d+):(%d+)$')
          if not c then
            return redis.error_reply('ERR sid3 claim: ' .. KEYS[1] .. ' holds a malformed SID')
          end
          a, b = tonumber(a), tonumber(b)
          local rank = -1
          for g = 1, n do
            if groups[g][1] == a and groups[g][2] == b then rank = g - 1; break end
          end
          return {a, b, tonumber(c), 0, rank}
        end
        for g = 1, n do
          local first, k = groups[g][3], groups[g][4]
          for i = first, first + k - 1 do
            local code = tonumber(ARGV[i])
            if not code or code < 0 or code >= g3 or code % 1 ~= 0 then
              return redis.error_reply('ERR sid3 claim: candidate ' .. ARGV[i] .. ' is outside 0..<g3 (g3=' .. g3 .. ')')
            end
          end
        end
        local claimed, rank = nil, 0
        for g = 1, n do
          local first, k = groups[g][3], groups[g][4]
          for i = first, first + k - 1 do
            local code = tonumber(ARGV[i])
            if redis.call('HSETNX', KEYS[g + 1], code, item) == 1 then
              claimed, rank = code, g - 1
              break
            end
          end
          if claimed then break end
        end
        if not claimed then
          local code = tonumber(redis.call('HGET', KEYS[2], 'next') or g3)
          if code < g3 then code = g3 end
          while redis.call('HSETNX', KEYS[2], code, item) == 0 do code = code + 1 end
          redis.call('HSET', KEYS[2], 'next', code + 1)
          claimed, rank = code, 0
        end
        local c1, c2 = groups[rank + 1][1], groups[rank + 1][2]
        redis.call('SET', KEYS[1], c1 .. ':' .. c2 .. ':' .. claimed)
        return {c1, c2, claimed, 1, rank}
        """#
}
