/// One sample: a user and the position of the target in that user's sequence. The history is
/// the (at most ``LeaveOneOutSplit/historyLimit``) events just before the target.
public struct SampleReference: Sendable, Hashable, Codable {
    /// The user index.
    public let user: Int32
    /// The target's position in the user's time-ordered sequence.
    public let position: Int32

    /// Creates a reference.
    public init(user: Int32, position: Int32) {
        self.user = user
        self.position = position
    }
}

/// The leave-one-out protocol over time-ordered sequences.
///
/// For a user with `n >= 3` events (positions `0..<n`):
/// - **test** target: position `n - 1`, history positions `0..<n-1`;
/// - **validation** target: position `n - 2`, history positions `0..<n-2`;
/// - **training** windows: one per prefix, targets at positions `1 ... n-3` with history
///   `0..<t` (sliding window), so no validation or test target is ever a training target.
///
/// Every history is cut to its last ``historyLimit`` items. Users with fewer than 3 events give
/// no samples (none remain after a 5-core filter).
public struct LeaveOneOutSplit: Sendable {
    /// The time-ordered sequences.
    public let sequences: UserSequences
    /// The longest history kept (32 in the paper).
    public let historyLimit: Int

    /// A split of `sequences` with histories cut to `historyLimit` items.
    public init(sequences: UserSequences, historyLimit: Int = 32) {
        self.sequences = sequences
        self.historyLimit = max(1, historyLimit)
    }

    /// The history of `sample`: up to ``historyLimit`` items just before the target, oldest first.
    public func history(_ sample: SampleReference) -> ArraySlice<Int32> {
        let start = sequences.offsets[Int(sample.user)]
        let end = start + Int(sample.position)
        return sequences.items[max(start, end - historyLimit)..<end]
    }

    /// Every item of the user's sequence before `sample`'s target, oldest first: the items a
    /// protocol that never recommends a consumed item leaves out (the history the models read is
    /// its last ``historyLimit`` items).
    public func earlierItems(_ sample: SampleReference) -> ArraySlice<Int32> {
        let start = sequences.offsets[Int(sample.user)]
        return sequences.items[start..<(start + Int(sample.position))]
    }

    /// The target item of `sample`.
    public func target(_ sample: SampleReference) -> Int32 {
        sequences.items[sequences.offsets[Int(sample.user)] + Int(sample.position)]
    }

    /// The timestamp of `sample`'s target.
    public func timestamp(_ sample: SampleReference) -> Double {
        sequences.timestamps[sequences.offsets[Int(sample.user)] + Int(sample.position)]
    }

    /// The test sample of every user with at least 3 events, in user order.
    public var testSamples: [SampleReference] { heldOut(offset: 1) }

    /// The validation sample of every user with at least 3 events, in user order.
    public var validationSamples: [SampleReference] { heldOut(offset: 2) }

    private func heldOut(offset: Int) -> [SampleReference] {
        (0..<sequences.userCount).compactMap { user in
            let n = sequences.length(user)
            return n >= 3 ? SampleReference(user: Int32(user), position: Int32(n - offset)) : nil
        }
    }

    /// Number of training windows of `user` (`n - 3` for `n >= 3` events, else 0).
    public func trainingWindowCount(user: Int) -> Int { max(0, sequences.length(user) - 3) }

    /// Number of training windows over all users.
    public var trainingWindowCount: Int {
        (0..<sequences.userCount).reduce(0) { $0 + trainingWindowCount(user: $1) }
    }

    /// Non-overlapping training windows that cover every training target once, for models that
    /// learn all positions of a window in one causal pass: per user, windows ending at `n − 3`,
    /// `n − 3 − historyLimit`, ... (while at least 1), each teaching the `historyLimit` targets
    /// up to its end (fewer for the first). User by user, positions ascending.
    public func trainingTiles() -> [SampleReference] {
        var tiles: [SampleReference] = []
        tiles.reserveCapacity(trainingWindowCount / historyLimit + sequences.userCount)
        for user in 0..<sequences.userCount where sequences.length(user) >= 4 {
            let ends = stride(from: sequences.length(user) - 3, through: 1, by: -historyLimit)
            for end in ends.reversed() { tiles.append(SampleReference(user: Int32(user), position: Int32(end))) }
        }
        return tiles
    }

    /// The positions a window teaches when every position is learned: each history item but the
    /// first is the target of the items before it, and the window's own target ends the list.
    /// For a tile from ``trainingTiles()`` these are exactly the training targets it covers.
    public func everyPositionTargets(_ sample: SampleReference) -> ArraySlice<Int32> {
        let start = sequences.offsets[Int(sample.user)]
        let end = start + Int(sample.position)
        return sequences.items[max(start, end - historyLimit) + 1...end]
    }

    /// Every training window, user by user, positions ascending.
    public var allTrainingWindows: [SampleReference] {
        var windows: [SampleReference] = []
        windows.reserveCapacity(trainingWindowCount)
        for user in 0..<sequences.userCount where sequences.length(user) >= 4 {
            for position in 1...(sequences.length(user) - 3) {
                windows.append(SampleReference(user: Int32(user), position: Int32(position)))
            }
        }
        return windows
    }
}
