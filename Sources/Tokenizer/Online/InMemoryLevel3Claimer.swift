import Synchronization

/// A thread-safe, in-process ``Level3Claimer`` for tests and offline use, seeded with the codes
/// taken at fit time. It is the reference for the Redis-backed claimer's semantics; it does not
/// coordinate between processes.
public final class InMemoryLevel3Claimer: Level3Claimer {
    private struct GroupKey: Hashable {
        var c1: Int, c2: Int
    }

    private struct State {
        var sidOfItem: [String: SemanticID] = [:]
        var taken: [GroupKey: Set<Int>] = [:]
    }

    private let state: Mutex<State>

    /// - Parameter existing: items that already have SIDs (for example the fit-time item table).
    /// - Throws: ``TokenizerError`` when two items share an SID or one item is listed twice with
    ///   different SIDs: such a table cannot be extended without collisions.
    public init(existing: some Sequence<(item: String, sid: SemanticID)>) throws {
        var initial = State()
        for (item, sid) in existing {
            if let previous = initial.sidOfItem[item] {
                guard previous == sid else {
                    throw TokenizerError(.invalidInput, "item '\(item)' is listed with two SIDs, \(previous) and \(sid)")
                }
                continue
            }
            let key = GroupKey(c1: sid.c1, c2: sid.c2)
            guard initial.taken[key, default: []].insert(sid.c3).inserted else {
                throw TokenizerError(.invalidInput, "SID \(sid) is given to more than one item (second: '\(item)')")
            }
            initial.sidOfItem[item] = sid
        }
        state = Mutex(initial)
    }

    /// A claimer seeded with a fitted codebook's items, keyed by `keys[index]`.
    /// - Throws: ``TokenizerError`` when `keys` does not have one key per fitted item.
    public convenience init(codebook: GAOQCodebook, keys: [String]) throws {
        guard keys.count == codebook.itemSIDs.count else {
            throw TokenizerError(.invalidInput, "item keys: \(keys.count) keys for \(codebook.itemSIDs.count) fitted items")
        }
        try self.init(existing: zip(keys, codebook.itemSIDs).map { (item: $0, sid: $1) })
    }

    public func claim(item: String, c1: Int, c2: Int, capacity g3: Int, candidates: [Int]) async throws -> SemanticID {
        claimNow(item: item, c1: c1, c2: c2, capacity: g3, candidates: candidates)
    }

    /// The synchronous body of ``claim(item:c1:c2:capacity:candidates:)``.
    public func claimNow(item: String, c1: Int, c2: Int, capacity g3: Int, candidates: [Int]) -> SemanticID {
        state.withLock { state in
            if let existing = state.sidOfItem[item] { return existing }
            let key = GroupKey(c1: c1, c2: c2)
            let taken = state.taken[key, default: []]
            let code = candidates.first { $0 >= 0 && !taken.contains($0) }
                ?? (0..<g3).first { !taken.contains($0) }
                ?? max(g3, (taken.max() ?? -1) + 1)
            state.taken[key, default: []].insert(code)
            let sid = SemanticID(c1, c2, code)
            state.sidOfItem[item] = sid
            return sid
        }
    }

    /// The SID of `item`, if it has one.
    public func sid(of item: String) -> SemanticID? {
        state.withLock { $0.sidOfItem[item] }
    }

    /// Number of items with an SID.
    public var count: Int { state.withLock { $0.sidOfItem.count } }
}
