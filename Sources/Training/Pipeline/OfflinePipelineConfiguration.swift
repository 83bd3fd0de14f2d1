import Data
import Models

/// Settings of `resid pipeline`: which stages get how much of the time budget, the quantiser's
/// branching, and the generator's sizes and training settings.
public struct OfflinePipelineConfiguration: Sendable, Codable {
    /// Total wall-clock budget for training (nil: each stage runs to its own stopping rule).
    /// FAMAE gets ``famaeBudgetShare`` of it and the generator what remains after FAMAE and
    /// GAOQ, less a reserve for the test evaluation.
    public var timeBudgetSeconds: Double?
    /// Share of the budget for FAMAE.
    public var famaeBudgetShare = 0.3
    /// Seconds kept back for the final test evaluation and bundle writing.
    public var evaluationReserveSeconds = 60.0
    /// Level-1 and level-2 branching of GAOQ (nil: b1 = b2 = round(sqrt(items / 15)), the
    /// paper's "b1·b2 about 10-20x fewer than items").
    public var b1: Int?
    public var b2: Int?
    /// Window sampling for both trained models.
    public var windowSampling: WindowSampling = .all
    /// FAMAE sizes (SPEC §2 defaults) and epochs at most.
    public var famaeWidth = 128
    public var famaeFeedForward = 512
    public var famaeMaxEpochs = 20
    /// Extra level-3 tokens in the generator's vocabulary beyond GAOQ's g3. Online assignment
    /// (SPEC §6) gives a new item the overflow code g3, g3 + 1, ... when its (c1, c2) group is
    /// full; these tokens never occur in training, so their logits are learned as "unlikely",
    /// but they keep such items decodable instead of unservable. A group that outgrows the
    /// headroom needs a new bundle.
    public var level3Headroom = 16
    public var generator = SIDGeneratorConfiguration()
    public var generatorTraining = SequenceTrainingConfiguration()
    /// Beam width for validation and test (50).
    public var beamWidth = 50
    /// Users whose test metrics the summary reports (nil: all).
    public var testUsers: Int?
    /// Users decoded with the trie switched off to measure invalid beams.
    public var unconstrainedUsers = 256
    /// Seed for every stage.
    public var seed: UInt64 = 42

    public init() {}

    /// The branching rule for a catalogue of `items` items.
    public func branching(items: Int) -> (b1: Int, b2: Int) {
        let side = max(2, Int((Double(items) / 15).squareRoot().rounded()))
        return (b1 ?? side, b2 ?? side)
    }
}
