public import Data
import Tensor

/// `k` new items drawn at random for each request (seeded): the floor for ranking new items.
/// It recommends new items only, so its whole-catalogue and new-only lists are the same.
public final class RandomNewItems: ColdStartRecommender {
    public var name: String { "random new item" }
    private let warmCount: Int
    private let newCount: Int
    private var random: SeededRandom

    public init(split: ColdStartSplit, seed: UInt64) {
        warmCount = split.warmCount
        newCount = split.newItems.count
        random = SeededRandom(seed: seed)
    }

    public func recommend(_ requests: [ColdStartRequest], k: Int, newOnly: Bool) throws -> [[Int32]] {
        requests.map { _ in
            var items = Array(0..<newCount)
            random.shuffle(&items)
            return items.prefix(k).map { Int32(warmCount + $0) }
        }
    }
}
