public import Tokenizer

/// Additive scores that ``ConstrainedBeamSearch`` adds to some items' log-probabilities, such as
/// new items' online uptake, with an upper bound per trie node so that the search already
/// favours prefixes that lead to a lifted item.
///
/// Why bounds: a bonus applied only to finished beams can re-order the items the search kept,
/// but cannot bring back an item whose prefix was pruned at an earlier level. With bounds a
/// partial beam is ranked by its log-probability plus the largest bonus any item below its
/// node could still receive, and at the last level by the item's own bonus, so the beams that
/// survive are the ones the bonus would favour. Items without a bonus count as 0, so a bound is
/// never below 0.
public struct ItemScoreBonus: Sendable {
    /// By item index; 0 beyond the end.
    private var items: [Float]
    /// By trie node below the root (indices as in ``SIDTrie``); 0 beyond the end.
    private var nodes: [Float]

    /// Bonuses for `bonuses` (item index, additive score) over the items of `trie`; items not in
    /// the trie are ignored.
    public init<S: Sequence>(trie: SIDTrie, bonuses: S) where S.Element == (item: Int32, bonus: Float) {
        var items: [Float] = []
        var nodes = [Float](repeating: 0, count: trie.nodeCount)
        for (item, bonus) in bonuses {
            guard item >= 0, bonus.isFinite, let codes = trie.sid(ofItem: Int(item)) else { continue }
            if Int(item) >= items.count { items += repeatElement(0, count: Int(item) + 1 - items.count) }
            items[Int(item)] = bonus
            guard bonus > 0 else { continue }
            for depth in 1..<trie.levels {
                guard let node = trie.node(prefix: codes.prefix(depth)) else { break }
                nodes[Int(node)] = max(nodes[Int(node)], bonus)
            }
        }
        self.items = items
        self.nodes = nodes
    }

    /// The bonus of `item`.
    @inline(__always)
    public func item(_ item: Int32) -> Float {
        Int(item) < items.count && item >= 0 ? items[Int(item)] : 0
    }

    /// The largest bonus of an item below `node` (0 when none is above 0).
    @inline(__always)
    func bound(_ node: Int32) -> Float {
        Int(node) < nodes.count && node > SIDTrie.root ? nodes[Int(node)] : 0
    }
}
