public import Data
import Evaluation
public import Models
public import Tokenizer

/// Builds and trains a SID generator of either architecture on one SID table, the one place the
/// pipeline, `resid compare` and the benchmarks choose between them.
public enum GeneratorTraining {
    /// A freshly initialised generator of `architecture` for `vocabulary`, as a trainable model.
    public static func trainable(
        _ architecture: GeneratorArchitecture, t5: SIDGeneratorConfiguration, causal: CausalGeneratorConfiguration,
        vocabulary: GeneratorVocabulary, table: SIDTable, name: String, beamWidth: Int, seed: UInt64
    ) throws -> any GeneratorTrainable {
        switch architecture {
        case .t5:
            try TrainableGenerator(
                name: name, model: SIDGenerator(configuration: t5, vocabulary: vocabulary, seed: seed), table: table,
                beamWidth: beamWidth)
        case .causal:
            try TrainableCausalGenerator(
                name: name, model: CausalSIDGenerator(configuration: causal, vocabulary: vocabulary, seed: seed),
                table: table, beamWidth: beamWidth)
        }
    }

    /// Trains `trainable` on `split` (the trainer restores its best parameters) and returns the
    /// report.
    public static func train(
        _ trainable: any GeneratorTrainable, split: LeaveOneOutSplit, configuration: SequenceTrainingConfiguration,
        progress: @escaping (String) -> Void
    ) throws -> SequenceTrainingReport {
        try trainable.train(split: split, configuration: configuration, progress: progress)
    }
}

/// A trainable SID generator of either architecture.
public protocol GeneratorTrainable: SequenceTrainable {
    /// The generator in the form bundles and recommenders take.
    var generatorModel: SIDGeneratorModel { get }
    /// The SID table it is trained on.
    var table: SIDTable { get }
}

extension GeneratorTrainable {
    /// Runs a ``SequenceTrainer`` on this model.
    func train(
        split: LeaveOneOutSplit, configuration: SequenceTrainingConfiguration, progress: @escaping (String) -> Void
    ) throws -> SequenceTrainingReport {
        try SequenceTrainer(model: self, split: split, configuration: configuration, progress: progress).train()
    }

    /// The trie-constrained recommender over the current parameters.
    public func generatorRecommender(beamWidth: Int) throws -> GeneratorRecommender {
        try GeneratorRecommender(name: name, model: generatorModel, table: table, beamWidth: beamWidth)
    }
}

extension TrainableGenerator: GeneratorTrainable {
    public var generatorModel: SIDGeneratorModel { .t5(model) }
}

extension TrainableCausalGenerator: GeneratorTrainable {
    public var generatorModel: SIDGeneratorModel { .causal(model) }
}
