public import Redis
public import Tokenizer

/// The ``Level3Claimer`` that daemon instances share: every claim is the ``SIDClaimScript`` run
/// atomically on the Redis server, so two instances never give one code to two items.
///
/// A batch is one pipelined run of the script, `pipelineDepth` claims per round trip (the
/// daemon's batch of new items fits one round trip at the default depth): each claim is its own
/// `EVALSHA`, so a claim is atomic and the batch is claimed in order.
///
/// Redis holds only the codes claimed online. The frozen bundle's own items are ``frozen``:
/// their codes are left out of every candidate list before it is sent, and such an item is
/// answered with its frozen SID without a round trip, so this claimer follows the same rules as
/// an ``InMemoryLevel3Claimer`` seeded with the same items. One difference is out of reach of
/// the in-process claimer: the script hands out overflow codes from a per-group counter, so an
/// overflow code freed by a voided claim (the daemon's claim-store check) is not reused.
///
/// Bound to one connection: create it where the connection is lent (inside
/// ``RedisConnectionPool/withConnection(_:)``) and drop it when the loan ends.
public struct RedisLevel3Claimer: Level3Claimer {
    /// The connection claims are sent on.
    public let connection: RedisConnection
    /// The bundle id (non-empty, no `:`); SIDs are per bundle.
    public let bundle: String
    /// The key layout.
    public let keys: RedisKeys
    /// The bundle's own items, which Redis does not hold.
    public let frozen: HeldSIDs

    /// Creates a claimer for `bundle` on `connection`.
    public init(connection: RedisConnection, bundle: String, keys: RedisKeys, frozen: HeldSIDs = HeldSIDs()) {
        self.connection = connection
        self.bundle = bundle
        self.keys = keys
        self.frozen = frozen
    }

    public func claim(_ request: Level3ClaimRequest, capacity g3: Int) async throws -> Level3Claim {
        try await claim([request], capacity: g3)[0]
    }

    /// Claims the batch in order, one script run per item that is not frozen, all in as few
    /// round trips as the connection's `pipelineDepth` allows. Idempotent: an item that already
    /// has an SID gets it back unchanged, so a retried batch is harmless.
    /// - Throws: ``ServingStateError``: `invalidRequest` for a malformed request or bundle id
    ///   (nothing sent), `inconsistentState` when a frozen SID lies on an overflow code (Redis
    ///   could hand that code out again), `rejectedByScript` if the script refuses a claim;
    ///   ``RedisError`` for connection and protocol failures and other server errors.
    public func claim(_ requests: [Level3ClaimRequest], capacity g3: Int) async throws -> [Level3Claim] {
        guard !bundle.isEmpty, !bundle.contains(":") else {
            throw ServingStateError(
                .invalidRequest, "SID claim", field: "bundle",
                problem: "bundle id `\(bundle)` is empty or contains `:`",
                fix: "claim under the manifest's bundle id, which `resid pipeline` writes without `:`")
        }
        guard frozen.largestLevel3Code < g3 else {
            throw ServingStateError(
                .inconsistentState, "SID claim for bundle `\(bundle)`", field: "frozen",
                problem: "a frozen item holds level-3 code \(frozen.largestLevel3Code), past the \(g3) fitted codes",
                fix: "serve a bundle whose items all hold fitted codes (GAOQ gives every item one below g3)")
        }
        var claims = [Level3Claim?](repeating: nil, count: requests.count)
        var sent: [(position: Int, request: Level3ClaimRequest)] = []
        for (position, request) in requests.enumerated() {
            if let issue = request.problem(capacity: g3) {
                throw ServingStateError(
                    .invalidRequest, Self.subject(request), field: issue.field, problem: issue.problem, fix: issue.fix)
            }
            if let sid = frozen.sid(of: request.item) {
                claims[position] = Level3Claim(sid: sid, newlyAssigned: false, groupRank: request.rank(of: sid))
            } else {
                sent.append((position, request))
            }
        }
        let replies = try await connection.runSIDClaims(sent.map { call(for: $0.request, capacity: g3) })
        for ((position, request), reply) in zip(sent, replies) {
            claims[position] = try Self.decodeClaimReply(reply, subject: Self.subject(request))
        }
        return claims.map { $0! }
    }

    /// The script's keys and arguments for one request (see ``SIDClaimScript``), with the codes
    /// frozen items hold left out of the candidates.
    func call(for request: Level3ClaimRequest, capacity g3: Int) -> RedisScript.Call {
        var arguments = [request.item, String(g3), String(request.groups.count)]
        var scriptKeys = [keys.item(bundle: bundle, item: request.item)]
        for group in request.groups {
            let held = frozen.takenCodes(c1: group.c1, c2: group.c2)
            let free = held.isEmpty ? group.candidates : group.candidates.filter { !held.contains($0) }
            arguments += [String(group.c1), String(group.c2), String(free.count)]
            arguments += free.map(String.init)
            scriptKeys.append(keys.sid3Group(bundle: bundle, c1: group.c1, c2: group.c2))
        }
        return RedisScript.Call(keys: scriptKeys, arguments: arguments)
    }

    static func subject(_ request: Level3ClaimRequest) -> String { "SID claim for item `\(request.item)`" }

    /// One reply of the claim script; an error reply becomes ``ServingStateError`` (the
    /// script's own refusal) or ``RedisError``.
    static func decodeClaimReply(_ reply: RedisValue, subject: String = "SID claim") throws -> Level3Claim {
        if case .error(let message) = reply {
            throw ServingStateError.scriptReply(message, tag: "sid3 claim", subject: subject)
        }
        guard let parts = reply.array, parts.count == 5,
            let c1 = parts[0].integer, let c2 = parts[1].integer, let c3 = parts[2].integer,
            let fresh = parts[3].integer, let rank = parts[4].integer
        else {
            throw RedisError(
                .unexpectedReply, "sid3 claim answered \(reply), not {c1, c2, c3, newlyAssigned, groupRank}")
        }
        return Level3Claim(
            sid: SemanticID(Int(c1), Int(c2), Int(c3)), newlyAssigned: fresh == 1, groupRank: Int(rank))
    }
}

extension RedisConnection {
    /// Runs the claim script for every call, `pipelineDepth` calls per round trip; error
    /// replies in place.
    func runSIDClaims(_ calls: [RedisScript.Call]) throws(RedisError) -> [RedisValue] {
        guard !calls.isEmpty else { return [] }
        return try runInChunks(SIDClaimScript.script, calls: calls) { $0 }
    }
}
