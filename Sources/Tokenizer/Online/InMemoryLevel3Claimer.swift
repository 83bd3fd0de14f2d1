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
                    throw TokenizerError(
                        .invalidInput, "item '\(item)' is listed with two SIDs, \(previous) and \(sid)")
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
            throw TokenizerError(
                .invalidInput, "item keys: \(keys.count) keys for \(codebook.itemSIDs.count) fitted items")
        }
        try self.init(existing: zip(keys, codebook.itemSIDs).map { (item: $0, sid: $1) })
    }

    public func claim(item: String, groups: [Level3CandidateGroup], capacity g3: Int) async throws -> SemanticID {
        try claimNow(item: item, groups: groups, capacity: g3)
    }

    /// The synchronous body of ``claim(item:groups:capacity:)``.
    /// - Throws: ``TokenizerError`` when `groups` is empty.
    public func claimNow(item: String, groups: [Level3CandidateGroup], capacity g3: Int) throws -> SemanticID {
        guard let home = groups.first else {
            throw TokenizerError(.invalidInput, "level-3 claim for '\(item)': no candidate group")
        }
        return state.withLock { state in
            if let existing = state.sidOfItem[item] { return existing }
            var sid: SemanticID?
            for group in groups {
                let taken = state.taken[GroupKey(c1: group.c1, c2: group.c2), default: []]
                if let code = group.candidates.first(where: { $0 >= 0 && $0 < g3 && !taken.contains($0) }) {
                    sid = SemanticID(group.c1, group.c2, code)
                    break
                }
            }
            let chosen =
                sid
                ?? {
                    let taken = state.taken[GroupKey(c1: home.c1, c2: home.c2), default: []]
                    var code = g3
                    while taken.contains(code) { code += 1 }
                    return SemanticID(home.c1, home.c2, code)
                }()
            state.taken[GroupKey(c1: chosen.c1, c2: chosen.c2), default: []].insert(chosen.c3)
            state.sidOfItem[item] = chosen
            return chosen
        }
    }

    /// The SID of `item`, if it has one.
    public func sid(of item: String) -> SemanticID? {
        state.withLock { $0.sidOfItem[item] }
    }

    /// Number of items with an SID.
    public var count: Int { state.withLock { $0.sidOfItem.count } }
}
