/// Atomic, append-only allocation of level-3 codes for items tokenized online.
///
/// Semantics every implementation must keep (the in-process one and the Redis/Lua one alike):
/// 1. an item that already has an SID gets it back unchanged;
/// 2. otherwise it takes, in the first of `groups` that has one, the first of that group's
///    candidates not yet taken there: its own group while it has room, else it *spills* to the
///    nearest sibling group with a free code;
/// 3. if no group has a free candidate, it gets its own group's (`groups[0]`) next overflow code
///    `g3, g3 + 1, ...` (a new token past the fitted vocabulary) rather than a colliding one;
/// 4. the choice is stored before it is returned, so no two items ever share an SID.
///
/// A batch is claimed in order, as if item by item: a later request sees the codes the earlier
/// ones took. Every request must pass ``Level3ClaimRequest/problem(capacity:)``; a claimer
/// refuses the whole batch otherwise, before it claims anything.
public protocol Level3Claimer: Sendable {
    /// Claims (or returns the existing) SID of one item.
    ///
    /// - Parameters:
    ///   - request: the item and the groups it may land in, its own first.
    ///   - g3: the number of fitted level-3 codes.
    func claim(_ request: Level3ClaimRequest, capacity g3: Int) async throws -> Level3Claim

    /// Claims the SIDs of a batch of items, in order; one result per request.
    ///
    /// The default claims one by one; a claimer with a round trip per call (Redis) claims the
    /// whole batch at once.
    func claim(_ requests: [Level3ClaimRequest], capacity g3: Int) async throws -> [Level3Claim]
}

extension Level3Claimer {
    /// Checks every request, then claims them one by one.
    /// - Throws: ``TokenizerError`` for a request that fails
    ///   ``Level3ClaimRequest/problem(capacity:)`` (nothing claimed); whatever the single-item
    ///   `claim(_:capacity:)` throws.
    public func claim(_ requests: [Level3ClaimRequest], capacity g3: Int) async throws -> [Level3Claim] {
        for request in requests { try request.validate(capacity: g3) }
        var claims: [Level3Claim] = []
        claims.reserveCapacity(requests.count)
        for request in requests { claims.append(try await claim(request, capacity: g3)) }
        return claims
    }

    /// The SID of one item (see the single-item `claim(_:capacity:)`).
    public func claim(item: String, groups: [Level3CandidateGroup], capacity g3: Int) async throws -> SemanticID {
        try await claim(Level3ClaimRequest(item: item, groups: groups), capacity: g3).sid
    }
}

/// One item's level-3 claim: its key and the groups it may land in.
public struct Level3ClaimRequest: Sendable, Hashable {
    /// The item key (non-empty).
    public var item: String
    /// The own group first, then the spill groups, nearest first (non-empty).
    public var groups: [Level3CandidateGroup]

    /// Creates a request.
    public init(item: String, groups: [Level3CandidateGroup]) {
        self.item = item
        self.groups = groups
    }

    /// Position of `sid`'s group among ``groups``: 0 for the own group, -1 when none matches.
    public func rank(of sid: SemanticID) -> Int {
        groups.firstIndex { $0.c1 == sid.c1 && $0.c2 == sid.c2 } ?? -1
    }

    /// What makes this request unclaimable with `g3` level-3 codes, nil when nothing does:
    /// the field at fault, what is wrong with it and how to fix it. Every claimer checks the
    /// same fields, so the in-process and the Redis claimer refuse the same requests.
    public func problem(capacity g3: Int) -> (field: String, problem: String, fix: String)? {
        guard !item.isEmpty else { return ("item", "the item key is empty", "give every item a key") }
        guard g3 >= 1 else { return ("g3", "\(g3) is below 1", "pass the codebook's level-3 size") }
        guard !groups.isEmpty else {
            return ("groups", "no candidate group", "list the item's own (c1, c2) group first")
        }
        for (index, group) in groups.enumerated() {
            guard group.c1 >= 0, group.c2 >= 0 else {
                return (
                    "groups[\(index)]", "c1 \(group.c1) or c2 \(group.c2) is negative",
                    "pass the codes the frozen codebook placed the item at"
                )
            }
            if let bad = group.candidates.first(where: { $0 < 0 || $0 >= g3 }) {
                return (
                    "groups[\(index)].candidates", "candidate \(bad) is outside 0..<\(g3)",
                    "offer only trained level-3 codes; overflow codes are the claimer's to hand out"
                )
            }
        }
        return nil
    }

    /// Throws ``TokenizerError`` when ``problem(capacity:)`` finds one.
    public func validate(capacity g3: Int) throws(TokenizerError) {
        if let issue = problem(capacity: g3) {
            throw TokenizerError(
                .invalidInput, "level-3 claim for '\(item)': \(issue.field): \(issue.problem); \(issue.fix)")
        }
    }
}

/// An item's SID as a claimer returned it.
public struct Level3Claim: Sendable, Hashable {
    /// The SID; its level-3 code is `>= g3` for an overflow code.
    public var sid: SemanticID
    /// True if this claim assigned the SID; false if the item already had it.
    public var newlyAssigned: Bool
    /// Position of the SID's group among the request's groups: 0 for the own group, above 0 for
    /// a spill group, -1 when an existing SID lies in none of them.
    public var groupRank: Int

    /// Creates a claim.
    public init(sid: SemanticID, newlyAssigned: Bool, groupRank: Int = 0) {
        self.sid = sid
        self.newlyAssigned = newlyAssigned
        self.groupRank = groupRank
    }

    /// True when the item's own group was full and it took a code in a spill group.
    public var spilled: Bool { groupRank > 0 }

    /// True when the SID's level-3 code lies past the `g3` fitted codes.
    public func isOverflow(capacity g3: Int) -> Bool { sid.c3 >= g3 }
}
