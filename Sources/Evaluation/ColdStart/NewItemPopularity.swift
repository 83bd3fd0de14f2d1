import Data

/// Popularity among new items, counted only from interactions before the prediction time:
/// the new items with the most events strictly before it, ties to the earlier first appearance.
/// It recommends new items only, so its whole-catalogue and new-only lists are the same.
public struct NewItemPopularity: ColdStartRecommender {
    public var name: String { "popularity among new items" }
    private let warmCount: Int
    /// Each new item's event times, ascending.
    private let times: [[Double]]

    public init(split: ColdStartSplit) {
        warmCount = split.warmCount
        var times = [[Double]](repeating: [], count: split.newItems.count)
        for (item, time) in zip(split.sequences.items, split.sequences.timestamps) where split.isNew(item) {
            times[Int(item) - split.warmCount].append(time)
        }
        self.times = times.map { $0.sorted() }
    }

    public func recommend(_ requests: [ColdStartRequest], k: Int, newOnly: Bool) throws -> [[Int32]] {
        requests.map { request in
            let counts = times.map { Self.countBefore(request.time, in: $0) }
            return (0..<times.count).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
                .prefix(k).map { Int32(warmCount + $0) }
        }
    }

    /// Number of elements of ascending `times` strictly below `time`.
    private static func countBefore(_ time: Double, in times: [Double]) -> Int {
        var (low, high) = (0, times.count)
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < time { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
