/// One batch of FAMAE samples: per sample up to `historyLength` history items followed by the
/// target, whose masked fields are given by flags. History positions are never masked.
public struct FAMAEBatch: Sendable {
    /// Samples in the batch.
    public let size: Int
    /// `size · historyLength` catalogue item indices, left-padded with -1: sample `b`'s history
    /// is `history[b·H ..< (b+1)·H]`, oldest first, its most recent item just before the target.
    public let history: [Int32]
    /// The targets' field codes (a catalogue item's codes, or a new item's for cold start).
    public let targets: FAMAEItemCodes
    /// `size · J` flags: `masked[b·J + f]` masks field `f` of sample `b`'s target.
    public let masked: [Bool]

    /// Creates a batch.
    /// - Throws: ``FAMAEError/Code/invalidInput`` when the sizes do not agree.
    public init(history: [Int32], targets: FAMAEItemCodes, masked: [Bool], historyLength: Int) throws {
        size = targets.count
        guard history.count == size * historyLength else {
            throw FAMAEError(
                .invalidInput, "history has \(history.count) slots for \(size) samples of \(historyLength)")
        }
        guard masked.count == size * targets.fieldCount else {
            throw FAMAEError(
                .invalidInput, "masked has \(masked.count) flags for \(size) samples of \(targets.fieldCount) fields")
        }
        self.history = history
        self.targets = targets
        self.masked = masked
    }

    /// Left-pads (or cuts to the most recent) `items` into `historyLength` slots.
    public static func paddedHistory<C: Collection>(_ items: C, historyLength: Int) -> [Int32]
    where C.Element == Int32 {
        let kept = items.suffix(historyLength)
        return [Int32](repeating: -1, count: historyLength - kept.count) + kept
    }
}
