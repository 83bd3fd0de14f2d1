public import Data
public import Models
public import Tensor

/// Builds FAMAE batches from leave-one-out samples: the (≤ 32) history items before each
/// target, left-padded, and the target's catalogue codes with a masking pattern.
public struct FAMAESampleBatcher: Sendable {
    /// The split the samples refer to.
    public let split: LeaveOneOutSplit
    /// The catalogue codes (target codes are copied from here).
    public let catalog: FAMAEItemCodes
    /// History slots per sample.
    public let historyLength: Int

    /// A batcher over `split` with `catalog` codes.
    public init(split: LeaveOneOutSplit, catalog: FAMAEItemCodes, historyLength: Int) {
        self.split = split
        self.catalog = catalog
        self.historyLength = historyLength
    }

    /// A batch of `samples`, each target masked by `mask(sampleIndex)` (J flags).
    public func batch(_ samples: ArraySlice<SampleReference>, mask: (Int) -> [Bool]) throws -> FAMAEBatch {
        var history: [Int32] = []
        history.reserveCapacity(samples.count * historyLength)
        var targets = FAMAEItemCodes(fieldCount: catalog.fieldCount)
        var masked: [Bool] = []
        masked.reserveCapacity(samples.count * catalog.fieldCount)
        for (index, sample) in samples.enumerated() {
            history += FAMAEBatch.paddedHistory(split.history(sample), historyLength: historyLength)
            targets.append(item: Int(split.target(sample)), of: catalog)
            masked += mask(index)
        }
        return try FAMAEBatch(history: history, targets: targets, masked: masked, historyLength: historyLength)
    }

    /// A training batch: each target masked by the FAMAE rule (K ~ U{1..J}, random K-subset).
    public func trainingBatch(_ samples: ArraySlice<SampleReference>, random: inout SeededRandom) throws -> FAMAEBatch {
        let j = catalog.fieldCount
        var draws: [[Bool]] = []
        draws.reserveCapacity(samples.count)
        for _ in samples { draws.append(FAMAEMasking.draw(fieldCount: j, using: &random)) }
        return try batch(samples) { draws[$0] }
    }
}
