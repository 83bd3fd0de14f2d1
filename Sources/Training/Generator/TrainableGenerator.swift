public import Data
public import Evaluation
public import Foundation
public import Models
public import Tensor
public import Tokenizer

/// The SID generator paired with the SID table of the catalogue it is trained on, in the shape
/// the ``SequenceTrainer`` trains: teacher-forced token cross-entropy on each window's history
/// SIDs → target SID, validated by the trie-constrained beam search.
public final class TrainableGenerator: SequenceTrainable {
    public let name: String
    public let model: SIDGenerator
    public let table: SIDTable
    public let itemTokens: [Int32]
    /// Beam width of the validation recommender.
    public var beamWidth: Int

    /// - Throws: ``SequenceModelError`` when the table does not fit the model's vocabulary.
    public init(name: String = "resid-generator", model: SIDGenerator, table: SIDTable, beamWidth: Int = 50) throws {
        self.name = name
        self.model = model
        self.table = table
        self.beamWidth = beamWidth
        itemTokens = try model.vocabulary.itemTokens(table)
    }

    public var parameters: [Parameter] { model.parameters }
    public var parametersWithoutDecay: [Parameter] { model.parametersWithoutDecay }
    public var parameterCount: Int { model.parameterCount }
    public var learnsEveryPosition: Bool { false }

    public func loss(
        windows: ArraySlice<SampleReference>, split: LeaveOneOutSplit, mode: inout ForwardMode
    ) throws -> BatchLoss {
        let targets = windows.map { split.target($0) }
        let histories = windows.map { split.history($0) }
        if let bad = (targets + histories.joined()).first(where: { Int($0) >= table.count }) {
            throw SequenceModelError(
                .invalidInput,
                "item \(bad) has no SID (the table has \(table.count) items); tokenize the same prepared dataset")
        }
        let batch = SIDSequenceBatch(
            histories: histories, targets: targets, itemTokens: itemTokens, levels: model.vocabulary.levels,
            historyLimit: model.configuration.historyLimit)
        let tokens = batch.encoderPadding.reduce(0) { $0 + ($1 ? 0 : 1) } + batch.targets.count
        return BatchLoss(loss: model.loss(batch, mode: &mode), tokens: tokens, targets: windows.count)
    }

    public func replica() throws -> TrainableGenerator {
        let copy = try SIDGenerator(configuration: model.configuration, vocabulary: model.vocabulary, seed: 0)
        let replica = try TrainableGenerator(name: name, model: copy, table: table, beamWidth: beamWidth)
        replica.copyValues(from: self)
        return replica
    }

    public func recommender() throws -> any SequenceRecommender {
        try GeneratorRecommender(name: name, model: .t5(model), table: table, beamWidth: beamWidth)
    }

    public func saveCheckpoint(to url: URL) throws { try model.save(to: url) }
}
