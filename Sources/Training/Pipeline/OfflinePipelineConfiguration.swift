public import Data
public import Models

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
    /// FAMAE sizes and epochs at most.
    public var famaeWidth = 128
    public var famaeFeedForward = 512
    public var famaeMaxEpochs = 20
    /// Extra level-3 tokens in the generator's vocabulary beyond GAOQ's g3. Online assignment
    /// gives a new item the overflow code g3, g3 + 1, ... when its (c1, c2) group is
    /// full; these tokens never occur in training, so their logits are learned as "unlikely",
    /// but they keep such items decodable instead of unservable. A group that outgrows the
    /// headroom needs a new bundle.
    public var level3Headroom = 16
    /// Which generator the bundle holds (the causal one learns every position per pass and wins
    /// at equal wall-clock time; the T5 is the paper's configuration).
    public var architecture: GeneratorArchitecture = .causal
    /// Sizes of the T5 generator.
    public var generator = SIDGeneratorConfiguration()
    /// Sizes of the causal generator.
    public var causalGenerator = CausalGeneratorConfiguration()
    public var generatorTraining = SequenceTrainingConfiguration()
    /// Beam width for validation and test (50).
    public var beamWidth = 50
    /// Users whose test metrics the summary reports (nil: all).
    public var testUsers: Int?
    /// Users decoded with the trie switched off to measure invalid beams.
    public var unconstrainedUsers = 256
    /// Data-parallel workers for FAMAE and the generator.
    public var threads = 1
    /// Seed for every stage.
    public var seed: UInt64 = 42

    public init() {}

    /// The smallest sizes the whole pipeline runs at, in seconds on a catalogue of a few hundred
    /// items: for tests and smoke checks of the bundle format, never for a model to serve well.
    public static func smoke(testUsers: Int, unconstrainedUsers: Int) -> OfflinePipelineConfiguration {
        var settings = OfflinePipelineConfiguration()
        settings.famaeWidth = 16
        settings.famaeFeedForward = 32
        settings.famaeMaxEpochs = 1
        settings.b1 = 3
        settings.b2 = 3
        settings.windowSampling = .randomPerEpoch(256)
        settings.generator.modelWidth = 16
        settings.generator.feedForwardWidth = 32
        settings.generator.heads = 2
        settings.generator.encoderLayers = 1
        settings.generator.decoderLayers = 1
        settings.causalGenerator.modelWidth = 16
        settings.causalGenerator.feedForwardWidth = 32
        settings.causalGenerator.heads = 2
        settings.causalGenerator.layers = 1
        settings.generatorTraining.maxEpochs = 1
        settings.generatorTraining.batchSize = 128
        settings.generatorTraining.validationUsers = 16
        settings.beamWidth = 10
        settings.testUsers = testUsers
        settings.unconstrainedUsers = unconstrainedUsers
        return settings
    }

    /// The branching rule for a catalogue of `items` items.
    public func branching(items: Int) -> (b1: Int, b2: Int) {
        let side = max(2, Int((Double(items) / 15).squareRoot().rounded()))
        return (b1 ?? side, b2 ?? side)
    }
}
