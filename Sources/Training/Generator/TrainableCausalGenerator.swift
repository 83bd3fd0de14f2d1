public import Data
public import Evaluation
public import Foundation
public import Models
public import Tensor
public import Tokenizer

/// The causal SID generator paired with the SID table of its catalogue, in the shape the
/// ``SequenceTrainer`` trains: next-token cross-entropy at every position of each tile (every
/// history item after the first is a target, and the tile's target ends it), validated by the
/// trie-constrained beam search.
public final class TrainableCausalGenerator: SequenceTrainable {
    public let name: String
    public let model: CausalSIDGenerator
    public let table: SIDTable
    public let itemTokens: [Int32]
    /// The catalogue's prefix masks (used when the model's softmax runs over the trie).
    public let prefixes: SIDPrefixMasks
    /// Beam width of the validation recommender.
    public var beamWidth: Int

    /// - Throws: ``SequenceModelError`` when the table does not fit the model's vocabulary.
    public init(name: String = "resid-causal", model: CausalSIDGenerator, table: SIDTable, beamWidth: Int = 50) throws {
        self.name = name
        self.model = model
        self.table = table
        self.beamWidth = beamWidth
        itemTokens = try model.vocabulary.itemTokens(table)
        prefixes = SIDPrefixMasks(vocabulary: model.vocabulary, itemTokens: itemTokens)
    }

    public var parameters: [Parameter] { model.parameters }
    public var parametersWithoutDecay: [Parameter] { model.parametersWithoutDecay }
    public var parameterCount: Int { model.parameterCount }
    public var learnsEveryPosition: Bool { true }

    public func loss(
        windows: ArraySlice<SampleReference>, split: LeaveOneOutSplit, mode: inout ForwardMode
    ) throws -> BatchLoss {
        let limit = model.configuration.historyLimit
        let sequences = windows.map { Array(split.history($0).suffix(limit)) + [split.target($0)] }
        if let bad = sequences.joined().first(where: { $0 < 0 || Int($0) >= table.count }) {
            throw SequenceModelError(
                .invalidInput,
                "item \(bad) has no SID (the table has \(table.count) items); tokenize the same prepared dataset")
        }
        let batch = CausalSIDBatch(
            windows: sequences, itemTokens: itemTokens, levelCount: model.vocabulary.levels, historyLimit: limit)
        let tokens = sequences.reduce(0) { $0 + $1.count * model.vocabulary.levels }
        return BatchLoss(
            loss: model.loss(batch, prefixes: prefixes, mode: &mode), tokens: tokens,
            targets: batch.targets.count / model.vocabulary.levels
        )
    }

    public func replica() throws -> TrainableCausalGenerator {
        let copy = try CausalSIDGenerator(configuration: model.configuration, vocabulary: model.vocabulary, seed: 0)
        let replica = try TrainableCausalGenerator(name: name, model: copy, table: table, beamWidth: beamWidth)
        replica.copyValues(from: self)
        return replica
    }

    public func recommender() throws -> any SequenceRecommender {
        try GeneratorRecommender(name: name, model: .causal(model), table: table, beamWidth: beamWidth)
    }

    public func saveCheckpoint(to url: URL) throws { try model.save(to: url) }
}
