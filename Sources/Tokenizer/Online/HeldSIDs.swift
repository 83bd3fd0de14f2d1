/// Items that hold an SID, and the level-3 codes held in each (c1, c2) group.
///
/// The in-process claimer's whole state, and what the Redis claimer must know besides Redis:
/// the frozen bundle's own items, whose codes Redis never sees (it holds only the codes claimed
/// online), so they are kept out of the candidates it is offered and answered without it.
public struct HeldSIDs: Sendable {
    private struct GroupKey: Hashable {
        var c1: Int, c2: Int
    }

    private var sidOfItem: [String: SemanticID] = [:]
    private var taken: [GroupKey: Set<Int>] = [:]
    /// The largest level-3 code held, -1 when none is.
    public private(set) var largestLevel3Code = -1

    /// No item.
    public init() {}

    /// - Parameter existing: items that already have SIDs (for example the fit-time item table).
    /// - Throws: ``TokenizerError`` when two items share an SID or one item is listed twice with
    ///   different SIDs: such a table cannot be extended without collisions.
    public init(existing: some Sequence<(item: String, sid: SemanticID)>) throws {
        for (item, sid) in existing {
            if let previous = sidOfItem[item] {
                guard previous == sid else {
                    throw TokenizerError(
                        .invalidInput, "item '\(item)' is listed with two SIDs, \(previous) and \(sid)")
                }
                continue
            }
            guard !isTaken(sid) else {
                throw TokenizerError(.invalidInput, "SID \(sid) is given to more than one item (second: '\(item)')")
            }
            hold(sid, for: item)
        }
    }

    /// A fitted codebook's items, keyed by `keys[index]`.
    /// - Throws: ``TokenizerError`` when `keys` does not have one key per fitted item.
    public init(codebook: GAOQCodebook, keys: [String]) throws {
        guard keys.count == codebook.itemSIDs.count else {
            throw TokenizerError(
                .invalidInput, "item keys: \(keys.count) keys for \(codebook.itemSIDs.count) fitted items")
        }
        try self.init(existing: zip(keys, codebook.itemSIDs).map { (item: $0, sid: $1) })
    }

    /// The SID of `item`, if it has one.
    public func sid(of item: String) -> SemanticID? { sidOfItem[item] }

    /// True when some item holds `sid`.
    public func isTaken(_ sid: SemanticID) -> Bool {
        taken[GroupKey(c1: sid.c1, c2: sid.c2)]?.contains(sid.c3) ?? false
    }

    /// The level-3 codes held in group (c1, c2).
    public func takenCodes(c1: Int, c2: Int) -> Set<Int> { taken[GroupKey(c1: c1, c2: c2)] ?? [] }

    /// Number of items with an SID.
    public var count: Int { sidOfItem.count }

    /// Records that `item` holds `sid`; the caller has checked that neither is held yet.
    mutating func hold(_ sid: SemanticID, for item: String) {
        taken[GroupKey(c1: sid.c1, c2: sid.c2), default: []].insert(sid.c3)
        sidOfItem[item] = sid
        largestLevel3Code = max(largestLevel3Code, sid.c3)
    }

    /// Rules 2 and 3 of ``Level3Claimer`` for an item without an SID: the first free candidate
    /// of the first group that has one, else the own group's first free overflow code.
    func choose(_ request: Level3ClaimRequest, capacity g3: Int) -> (sid: SemanticID, groupRank: Int) {
        for (rank, group) in request.groups.enumerated() {
            let held = taken[GroupKey(c1: group.c1, c2: group.c2)]
            if let code = group.candidates.first(where: { !(held?.contains($0) ?? false) }) {
                return (SemanticID(group.c1, group.c2, code), rank)
            }
        }
        let home = request.groups[0]
        let held = taken[GroupKey(c1: home.c1, c2: home.c2)] ?? []
        var code = g3
        while held.contains(code) { code += 1 }
        return (SemanticID(home.c1, home.c2, code), 0)
    }
}
