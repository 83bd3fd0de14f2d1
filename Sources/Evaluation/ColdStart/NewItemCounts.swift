public import Data

/// How many interactions each new item of a ``ColdStartSplit`` had before a given time: the
/// online signal a live system has about items nothing was trained on (the daemon sees every
/// interaction), available to a method only up to the moment it predicts.
public struct NewItemCounts: Sendable {
    /// Evaluation index of the first new item.
    public let warmCount: Int
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

    /// Number of new items.
    public var count: Int { times.count }

    /// Each new item's interactions strictly before `time`, in new-item order.
    public func counts(before time: Double) -> [Int] {
        times.map { Self.countBefore(time, in: $0) }
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
