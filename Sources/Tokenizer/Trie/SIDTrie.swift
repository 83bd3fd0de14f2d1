/// A prefix trie of every valid Semantic ID: the constraint that keeps beam search on real items.
///
/// Nodes at depth `d < levels` list the codes that may follow their prefix, sorted ascending,
/// next to the node each code leads to. At the last level the "child" is the item index itself,
/// so walking a complete SID maps it back to its item.
///
/// `SIDTrie` is a value type: a copy is an immutable snapshot that never sees later inserts, and
/// copying is O(1) until one side mutates (copy-on-write). ``LiveSIDTrie`` builds on that to let
/// a writer add SIDs while readers decode from stable snapshots.
///
/// Codes are per-level indices (no vocabulary offsets); the decoder adds its own offsets.
public struct SIDTrie: Sendable {
    /// One node: parallel arrays of allowed next codes (ascending) and their child node (or item
    /// index at the last level).
    @usableFromInline
    struct Node: Sendable {
        @usableFromInline var codes: [Int32] = []
        @usableFromInline var children: [Int32] = []
        /// At the last level: codes of trained items under this prefix that are not in the
        /// trie (see ``addReference(codes:)``).
        @usableFromInline var referenceCodes: [Int32] = []
    }

    /// The root node's index.
    public static let root: Int32 = 0

    /// Number of code levels in every SID (3 for GAOQ, 4 for RQ-KMeans with a collision code).
    public let levels: Int
    @usableFromInline var nodes: [Node]
    /// `sids[item]` is the item's codes, or empty for an index never inserted.
    private var sids: [[Int32]]
    /// Number of items (complete SIDs) in the trie.
    public private(set) var count = 0
    /// The largest code seen at each level plus one: the token range each level needs.
    public private(set) var levelCardinalities: [Int]
    /// Items with an index at or above this took their SID after the generator was trained
    /// (online cold start); the beam search scores their last code with the cold-start prior
    /// (see ``ConstrainedBeamSearch``). `Int32.max`: every item was trained on.
    public var firstColdItem: Int32 = .max

    /// An empty trie for SIDs of `levels` codes.
    public init(levels: Int) throws {
        guard levels >= 1 else {
            throw TokenizerError(.invalidConfiguration, "SID trie: levels must be at least 1 (got \(levels))")
        }
        self.levels = levels
        nodes = [Node()]
        sids = []
        levelCardinalities = Array(repeating: 0, count: levels)
    }

    /// A trie of every item in `table` (item index = row of `table.codes`).
    /// - Throws: ``TokenizerError/Code/invalidInput`` when two items share a SID or a row has the
    ///   wrong number of codes.
    public init(table: SIDTable) throws {
        try self.init(levels: table.levels)
        for (item, codes) in table.codes.enumerated() { try insert(codes: codes, item: item) }
    }

    /// Adds `item` with SID `codes`.
    ///
    /// Inserting the same (item, SID) pair again is a no-op, so replaying an append-only SID log
    /// is safe.
    /// - Throws: ``TokenizerError/Code/invalidInput`` if `codes` has the wrong length or a
    ///   negative code, if the SID already belongs to another item (SIDs are unique), or if the
    ///   item already has a different SID (SIDs never change within a bundle).
    public mutating func insert(codes: [Int], item: Int) throws {
        guard codes.count == levels else {
            throw TokenizerError(
                .invalidInput, "SID trie: item \(item) has \(codes.count) codes, the trie expects \(levels)")
        }
        guard item >= 0, item < Int(Int32.max), codes.allSatisfy({ $0 >= 0 && $0 < Int(Int32.max) }) else {
            throw TokenizerError(
                .invalidInput,
                "SID trie: item \(item) with codes \(codes) is out of range (need non-negative 32-bit values)")
        }
        let sid = codes.map(Int32.init)
        if item < sids.count, !sids[item].isEmpty {
            guard sids[item] == sid else {
                throw TokenizerError(
                    .invalidInput, "SID trie: item \(item) already has SID \(sids[item]), cannot change it to \(sid)")
            }
            return
        }
        if let owner = self.item(codes: codes) {
            throw TokenizerError(
                .invalidInput, "SID trie: SID \(sid) already belongs to item \(owner), cannot give it to item \(item)")
        }
        var node = Int(Self.root)
        for level in 0..<levels {
            let code = sid[level]
            levelCardinalities[level] = max(levelCardinalities[level], Int(code) + 1)
            let (found, position) = Self.search(nodes[node].codes, code)
            if level == levels - 1 {
                // Not found: checked above that this SID has no owner yet.
                nodes[node].codes.insert(code, at: position)
                nodes[node].children.insert(Int32(item), at: position)
            } else if found {
                node = Int(nodes[node].children[position])
            } else {
                let child = Int32(nodes.count)
                nodes.append(Node())
                nodes[node].codes.insert(code, at: position)
                nodes[node].children.insert(child, at: position)
                node = Int(child)
            }
        }
        if item >= sids.count { sids.append(contentsOf: repeatElement([], count: item + 1 - sids.count)) }
        sids[item] = sid
        count += 1
    }

    /// Records that a trained item outside this trie holds `codes`, when the trie has an item
    /// under the same prefix; otherwise does nothing.
    ///
    /// A trie restricted to some items (for example only the cold ones) still needs the trained
    /// codes of their groups for the cold-start prior, which judges a cold item by its group's
    /// trained members; reference codes give it those without making them candidates.
    /// - Throws: ``TokenizerError/Code/invalidInput`` if `codes` has the wrong length.
    public mutating func addReference(codes: [Int]) throws {
        guard codes.count == levels else {
            throw TokenizerError(
                .invalidInput, "SID trie: a reference SID has \(codes.count) codes, the trie expects \(levels)")
        }
        guard let node = node(prefix: codes.dropLast()), let last = Int32(exactly: codes[levels - 1]) else { return }
        guard !Self.search(nodes[Int(node)].codes, last).0, !nodes[Int(node)].referenceCodes.contains(last) else {
            return
        }
        nodes[Int(node)].referenceCodes.append(last)
    }

    /// The node a prefix leads to, or nil when no item has that prefix.
    public func node<C: Collection>(prefix codes: C) -> Int32? where C.Element: BinaryInteger {
        var node = Self.root
        for (level, code) in codes.enumerated() {
            guard level < levels - 1, let code = Int32(exactly: code) else { return nil }
            let (found, position) = Self.search(nodes[Int(node)].codes, code)
            guard found else { return nil }
            node = nodes[Int(node)].children[position]
        }
        return node
    }

    /// The item whose SID is `codes`, or nil if no item has it (including prefixes and codes of
    /// the wrong length).
    public func item<C: Collection>(codes: C) -> Int? where C.Element: BinaryInteger {
        guard codes.count == levels else { return nil }
        var node = Int(Self.root)
        for (level, code) in codes.enumerated() {
            guard let code = Int32(exactly: code) else { return nil }
            let (found, position) = Self.search(nodes[node].codes, code)
            guard found else { return nil }
            let child = Int(nodes[node].children[position])
            if level == levels - 1 { return child }
            node = child
        }
        return nil
    }

    /// The SID of `item`, or nil if it was never inserted.
    public func sid(ofItem item: Int) -> [Int]? {
        guard item >= 0, item < sids.count, !sids[item].isEmpty else { return nil }
        return sids[item].map(Int.init)
    }

    /// Number of nodes, the root included (for memory reports).
    public var nodeCount: Int { nodes.count }

    /// Calls `body` with the codes allowed after `node` (ascending) and, for each, the child
    /// node, or the item index when `node` sits at the last level. Pointers are valid only
    /// inside `body`; nothing is copied, so the beam search's inner loop allocates nothing.
    @inlinable
    public func withChildren<R>(
        of node: Int32,
        _ body: (_ codes: UnsafeBufferPointer<Int32>, _ children: UnsafeBufferPointer<Int32>) throws -> R
    ) rethrows -> R {
        try nodes[Int(node)].codes.withUnsafeBufferPointer { codes in
            try nodes[Int(node)].children.withUnsafeBufferPointer { children in try body(codes, children) }
        }
    }

    /// Calls `body` with the reference codes of a last-level `node` (see ``addReference(codes:)``).
    @inlinable
    public func withReferenceCodes<R>(
        of node: Int32, _ body: (_ codes: UnsafeBufferPointer<Int32>) throws -> R
    ) rethrows -> R {
        try nodes[Int(node)].referenceCodes.withUnsafeBufferPointer { try body($0) }
    }

    /// Number of codes allowed after `node`.
    @inlinable
    public func childCount(of node: Int32) -> Int { nodes[Int(node)].codes.count }

    /// Binary search: whether `code` is present and the index where it is or would be inserted.
    private static func search(_ codes: [Int32], _ code: Int32) -> (Bool, Int) {
        var (low, high) = (0, codes.count)
        while low < high {
            let middle = (low + high) / 2
            if codes[middle] < code { low = middle + 1 } else { high = middle }
        }
        return (low < codes.count && codes[low] == code, low)
    }
}
