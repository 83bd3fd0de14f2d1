public import Data

/// Popularity among new items, counted only from interactions before the prediction time:
/// the new items with the most events strictly before it, ties to the earlier first appearance.
/// It recommends new items only, so its whole-catalogue and new-only lists are the same.
public struct NewItemPopularity: ColdStartRecommender {
    public var name: String { "popularity among new items" }
    private let counts: NewItemCounts

    public init(split: ColdStartSplit) {
        counts = NewItemCounts(split: split)
    }

    public func recommend(_ requests: [ColdStartRequest], k: Int, newOnly: Bool) throws -> [[Int32]] {
        requests.map { request in
            let before = counts.counts(before: request.time)
            return before.indices.sorted { before[$0] != before[$1] ? before[$0] > before[$1] : $0 < $1 }
                .prefix(k).map { Int32(counts.warmCount + $0) }
        }
    }
}
