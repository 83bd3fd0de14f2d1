import Tensor

/// How many sliding-window training samples an epoch uses. ml-1m has about a million windows;
/// one epoch over all of them costs hours on 2 cores, so comparisons cap them with one of these
/// rules and apply the same rule to every model.
public enum WindowSampling: Sendable, Equatable, Codable {
    /// Every window, every epoch.
    case all
    /// Each user's `n` most recent training windows (targets at the highest positions before the
    /// validation target). The set is fixed; only its order changes per epoch. Favours the
    /// recent behaviour that validation and test targets follow.
    case mostRecentPerUser(Int)
    /// `n` windows drawn uniformly without replacement from all windows, redrawn each epoch from
    /// `(seed, epoch)`, so over many epochs every window is seen.
    case randomPerEpoch(Int)
}

/// Lists the training windows of each epoch under a ``WindowSampling`` rule, in a shuffled
/// order that is fixed by `(seed, epoch)`.
///
/// A window is a ``SampleReference``: a target position and the history before it. Models that
/// learn only the target (the T5 generator) use one window per training target. Models that
/// learn every position of a window in one causal pass (SASRec, the causal generator) use
/// **tiles** instead: windows whose targets do not overlap, so one epoch still teaches each
/// training target once. A tile ending at position `p` teaches the targets `p − h + 1 ... p`
/// (`h` the history limit) from the items before each; a user's tiles end at `n − 3`,
/// `n − 3 − h`, ... down to position 1, so together they cover targets `1 ... n − 3` exactly.
///
/// Shuffling uses ``SeededRandom`` with stream `epoch` (``SeededRandom/split(_:)``): the same
/// seed and epoch give the same list on every run and machine.
public struct TrainingWindowSampler: Sendable {
    /// The split whose training windows are sampled.
    public let split: LeaveOneOutSplit
    /// The rule.
    public let sampling: WindowSampling
    /// The seed.
    public let seed: UInt64
    /// Whether the windows are tiles for every-position models.
    public let tiles: Bool
    private let pool: [SampleReference]

    /// A sampler over `split`'s training windows.
    /// - Parameter tiles: list non-overlapping tiles (for models that learn every position of a
    ///   window) instead of one window per target.
    public init(split: LeaveOneOutSplit, sampling: WindowSampling, seed: UInt64, tiles: Bool = false) {
        self.split = split
        self.sampling = sampling
        self.seed = seed
        self.tiles = tiles
        switch sampling {
        case .all, .randomPerEpoch:
            pool = tiles ? split.trainingTiles() : split.allTrainingWindows
        case .mostRecentPerUser(let n) where tiles:
            // The tiles that end among each user's `n` most recent training targets.
            pool = split.trainingTiles().filter { tile in
                Int(tile.position) > split.sequences.length(Int(tile.user)) - 3 - n
            }
        case .mostRecentPerUser(let n):
            var windows: [SampleReference] = []
            for user in 0..<split.sequences.userCount {
                let last = split.sequences.length(user) - 3
                guard last >= 1, n > 0 else { continue }
                for position in max(1, last - n + 1)...last {
                    windows.append(SampleReference(user: Int32(user), position: Int32(position)))
                }
            }
            pool = windows
        }
    }

    /// Number of windows each epoch yields.
    public var windowsPerEpoch: Int {
        if case .randomPerEpoch(let n) = sampling { return min(max(0, n), pool.count) }
        return pool.count
    }

    /// The windows of epoch `epoch` (0-based), shuffled.
    public func windows(epoch: Int) -> [SampleReference] {
        var random = SeededRandom(seed: seed).split(UInt64(truncatingIfNeeded: epoch))
        var windows = pool
        switch sampling {
        case .all, .mostRecentPerUser:
            random.shuffle(&windows)
        case .randomPerEpoch:
            // Partial Fisher–Yates: the first `count` slots become a uniform sample in random order.
            let count = windowsPerEpoch
            for i in 0..<count {
                windows.swapAt(i, i + random.int(below: windows.count - i))
            }
            windows.removeSubrange(count...)
        }
        return windows
    }
}
