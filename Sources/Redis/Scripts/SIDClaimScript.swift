/// The level-3 SID claim for an item tokenized online: atomic, idempotent, append-only.
///
/// **Keys** `KEYS[1]` = `resid:{ns}:sid3:{bundle}:{c1}:{c2}`, a hash of the codes claimed online
/// in the group: field `<c3>` = item key, plus field `next` = the next overflow code to try.
/// `KEYS[2]` = `resid:{ns}:item:{bundle}:{item}`, a string `c1:c2:c3`: the item's SID.
///
/// **Arguments** `ARGV[1]` item key, `ARGV[2]` c1, `ARGV[3]` c2, `ARGV[4]` g3 (the level-3
/// capacity of every group in the bundle), `ARGV[5...]` candidate level-3 codes in preference
/// order (best cosine first), each in `0..<g3`.
///
/// **Semantics** (the tokenizer's in-process allocator implements the same):
/// 1. If the item already has an SID, return it unchanged with `newlyAssigned = 0`, even if
///    this call's c1/c2 differ: an SID never changes within a bundle.
/// 2. Otherwise claim the first candidate not yet taken in the group (`HSETNX`).
/// 3. If every candidate is taken, take the group's next overflow code `g3, g3+1, ...` (a new
///    level-3 token rather than a collision).
/// 4. Store the SID under `KEYS[2]` and return `{c1, c2, c3, 1}`.
///
/// The whole script runs atomically on the server, so two daemon instances can never give one
/// code to two items. Codes held by the bundle's own (offline) items are not in this hash: the
/// caller passes only candidates the frozen bundle leaves free. Both keys must live on one
/// server (no Redis Cluster slot spreading), as every ReSID key does.
public enum SIDClaimScript {
    /// The script.
    public static let script = RedisScript(name: "sid3-claim", source: source)

    static let source = #"""
        local item, c1, c2, g3 = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local existing = redis.call('GET', KEYS[2])
        if existing then
          local a, b, c = string.match(existing, '^(%d+):(%d+):(%d+)$')
          if not c then
            return redis.error_reply('ERR sid3 claim: ' .. KEYS[2] .. ' holds a malformed SID')
          end
          return {tonumber(a), tonumber(b), tonumber(c), 0}
        end
        if item == nil or item == '' then
          return redis.error_reply('ERR sid3 claim: ARGV[1] item key is empty')
        end
        if not c1 or not c2 or not g3 or c1 < 0 or c2 < 0 or g3 < 1 then
          return redis.error_reply('ERR sid3 claim: ARGV[2..4] c1, c2, g3 must be integers (c1, c2 >= 0, g3 >= 1)')
        end
        local claimed = nil
        for i = 5, #ARGV do
          local code = tonumber(ARGV[i])
          if not code or code < 0 or code >= g3 or code % 1 ~= 0 then
            return redis.error_reply('ERR sid3 claim: candidate ' .. ARGV[i] .. ' is outside 0..<g3 (g3=' .. g3 .. ')')
          end
          if redis.call('HSETNX', KEYS[1], code, item) == 1 then
            claimed = code
            break
          end
        end
        if not claimed then
          local code = tonumber(redis.call('HGET', KEYS[1], 'next') or g3)
          if code < g3 then code = g3 end
          while redis.call('HSETNX', KEYS[1], code, item) == 0 do code = code + 1 end
          redis.call('HSET', KEYS[1], 'next', code + 1)
          claimed = code
        end
        redis.call('SET', KEYS[2], c1 .. ':' .. c2 .. ':' .. claimed)
        return {c1, c2, claimed, 1}
        """#
}

/// A request to give an item a level-3 code in its (c1, c2) group.
public struct SIDClaimRequest: Sendable, Hashable {
    /// The item key.
    public var item: String
    /// The level-1 code.
    public var c1: Int
    /// The level-2 code.
    public var c2: Int
    /// The level-3 capacity of every group in the bundle (the largest offline group).
    public var g3: Int
    /// Candidate level-3 codes, best first, each in `0..<g3`.
    public var candidates: [Int]

    /// Creates a request.
    public init(item: String, c1: Int, c2: Int, g3: Int, candidates: [Int]) {
        self.item = item
        self.c1 = c1
        self.c2 = c2
        self.g3 = g3
        self.candidates = candidates
    }
}

/// An item's SID as the claim script returned it.
public struct SIDClaim: Sendable, Hashable {
    /// The level-1 code.
    public var c1: Int
    /// The level-2 code.
    public var c2: Int
    /// The level-3 code; `>= g3` for an overflow code.
    public var c3: Int
    /// True if this call assigned the SID; false if the item already had it.
    public var newlyAssigned: Bool

    /// Creates a claim.
    public init(c1: Int, c2: Int, c3: Int, newlyAssigned: Bool) {
        self.c1 = c1
        self.c2 = c2
        self.c3 = c3
        self.newlyAssigned = newlyAssigned
    }
}
