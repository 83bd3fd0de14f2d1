import Synchronization

/// A thread-safe, in-process ``Level3Claimer`` for tests and offline use, seeded with the codes
/// taken at fit time. It is the reference for the Redis-backed claimer's semantics; it does not
/// coordinate between processes.
public final class InMemoryLevel3Claimer: Level3Claimer {
    private let state: Mutex<HeldSIDs>

    /// - Parameter held: items that already have SIDs.
    public init(held: HeldSIDs) {
        state = Mutex(held)
    }

    /// - Parameter existing: items that already have SIDs (for example the fit-time item table).
    /// - Throws: ``TokenizerError`` when two items share an SID or one item is listed twice with
    ///   different SIDs: such a table cannot be extended without collisions.
    public convenience init(existing: some Sequence<(item: String, sid: SemanticID)>) throws {
        self.init(held: try HeldSIDs(existing: existing))
    }

    /// A claimer seeded with a fitted codebook's items, keyed by `keys[index]`.
    /// - Throws: ``TokenizerError`` when `keys` does not have one key per fitted item.
    public convenience init(codebook: GAOQCodebook, keys: [String]) throws {
        self.init(held: try HeldSIDs(codebook: codebook, keys: keys))
    }

    public func claim(_ request: Level3ClaimRequest, capacity g3: Int) async throws -> Level3Claim {
        try claimNow(request, capacity: g3)
    }

    /// The synchronous body of the single-item `claim(_:capacity:)`.
    /// - Throws: ``TokenizerError`` for a request that fails ``Level3ClaimRequest/problem(capacity:)``.
    public func claimNow(_ request: Level3ClaimRequest, capacity g3: Int) throws -> Level3Claim {
        try request.validate(capacity: g3)
        return state.withLock { held in
            if let existing = held.sid(of: request.item) {
                return Level3Claim(sid: existing, newlyAssigned: false, groupRank: request.rank(of: existing))
            }
            let (sid, rank) = held.choose(request, capacity: g3)
            held.hold(sid, for: request.item)
            return Level3Claim(sid: sid, newlyAssigned: true, groupRank: rank)
        }
    }

    /// The SID of `item`, if it has one.
    public func sid(of item: String) -> SemanticID? {
        state.withLock { $0.sid(of: item) }
    }

    /// Number of items with an SID.
    public var count: Int { state.withLock { $0.count } }
}
