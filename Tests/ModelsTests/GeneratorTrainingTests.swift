import Data
import Evaluation
import Foundation
import Tensor
import Testing
import Tokenizer
import Training

@testable import Models

/// End-to-end training of a tiny generator on a small synthetic dataset (labelled synthetic).
@Suite("Generator training")
struct GeneratorTrainingTests {
    static func prepared() throws -> PreparedDataset {
        var synthetic = SyntheticConfiguration(itemCount: 120, seed: 3)
        synthetic.userCount = 150
        return try Preprocessor().prepare(SyntheticDatasetGenerator(synthetic).generate())
    }

    /// Distinct SIDs in item order over levels 6 x 6 x 4.
    static func table(items: Int) -> SIDTable {
        SIDTable(codes: (0..<items).map { [$0 / 24, ($0 / 4) % 6, $0 % 4] }, levelSizes: [6, 6, 4])
    }

    static func trainable(items: Int) throws -> TrainableGenerator {
        var configuration = SIDGeneratorConfiguration()
        configuration.modelWidth = 16
        configuration.feedForwardWidth = 32
        configuration.heads = 2
        configuration.encoderLayers = 1
        configuration.decoderLayers = 1
        let table = Self.table(items: items)
        let model = try SIDGenerator(
            configuration: configuration, vocabulary: GeneratorVocabulary(levelSizes: table.levelSizes), seed: 1)
        return try TrainableGenerator(model: model, table: table, beamWidth: 8)
    }

    static func settings() -> SequenceTrainingConfiguration {
        var settings = SequenceTrainingConfiguration()
        settings.batchSize = 64
        settings.maxEpochs = 2
        settings.windowSampling = .randomPerEpoch(192)
        settings.validationUsers = 24
        settings.warmupFraction = 0.2
        settings.minEpochs = 0
        return settings
    }

    @Test func trainsValidatesAndKeepsTheBestModel() throws {
        let data = try Self.prepared()
        let trainable = try Self.trainable(items: data.items.count)
        var lines: [String] = []
        let report = try SequenceTrainer(
            model: trainable, split: data.split, configuration: Self.settings(), progress: { lines.append($0) }
        ).train()
        #expect(report.totalSteps == 6)
        #expect(report.totalSamples == 2 * 192)
        #expect(report.validations.count == 2)
        #expect(report.validations.allSatisfy { $0.users == 24 && $0.meanLoss.isFinite && $0.meanLoss > 0 })
        #expect(report.bestValidation >= 0)
        #expect(report.stopReason == "max-epochs")
        #expect(report.tokensPerSecond > 0 && abs(report.epochs - 2) < 1e-9)
        #expect(lines.contains { $0.contains("tokens/s") && $0.contains("ETA") })
        #expect(lines.last?.contains("done") == true)
        // The kept parameters are the best validation's: re-scoring gives its NDCG@10.
        let best = report.validations[report.bestValidation]
        let rescored = try Evaluation.RankingEvaluator(split: data.split, batchSize: 64, userLimit: 24).evaluate(
            try trainable.recommender(), on: .validation)
        #expect(abs((rescored.metrics["ndcg@10"] ?? -1) - best.ndcg10) < 1e-9)
    }

    @Test func timeBudgetStopsTraining() throws {
        let data = try Self.prepared()
        var settings = Self.settings()
        settings.maxEpochs = 1000
        // Only the budget may stop this run: on a fast machine early stopping could otherwise
        // end it first and the test would not exercise the budget.
        settings.patienceEpochs = 1000
        settings.timeBudgetSeconds = 0.5
        let report = try SequenceTrainer(
            model: try Self.trainable(items: data.items.count), split: data.split, configuration: settings
        ).train()
        #expect(report.stopReason == "time-budget")
        #expect(report.totalSteps < 1000 * 3)
        #expect(report.validations.count >= 1)
    }

    @Test func rejectsTablesThatDoNotCoverTheCatalogue() throws {
        let data = try Self.prepared()
        let trainable = try Self.trainable(items: 10)
        #expect(throws: SequenceModelError.self) {
            _ = try SequenceTrainer(model: trainable, split: data.split, configuration: Self.settings()).train()
        }
    }

    /// The generator can learn sequential structure carried by SIDs: on sequences where the next
    /// item is always `(last + 7) mod 96` (synthetic), a small model trained for 800
    /// steps puts the true next item first for most histories, where chance is 1 in 96.
    @Test func learnsADeterministicNextItemRule() throws {
        let items = 96
        let table = SIDTable(codes: (0..<items).map { [$0 % 4, ($0 / 4) % 4, $0 / 16] }, levelSizes: [4, 4, 6])
        var configuration = SIDGeneratorConfiguration()
        configuration.modelWidth = 32
        configuration.feedForwardWidth = 64
        configuration.heads = 2
        configuration.encoderLayers = 1
        configuration.decoderLayers = 1
        configuration.dropout = 0
        let model = try SIDGenerator(
            configuration: configuration, vocabulary: GeneratorVocabulary(levelSizes: table.levelSizes), seed: 2)
        let itemTokens = try model.vocabulary.itemTokens(table)
        var rng = SeededRandom(seed: 4)
        func sample(_ n: Int) -> (histories: [[Int32]], targets: [Int32]) {
            var histories: [[Int32]] = [], targets: [Int32] = []
            for _ in 0..<n {
                let start = rng.int(below: items)
                let length = 1 + rng.int(below: 4)
                histories.append((0..<length).map { Int32((start + 7 * $0) % items) })
                targets.append(Int32((start + 7 * length) % items))
            }
            return (histories, targets)
        }
        let optimizer = AdamW(parameters: model.parameters, configuration: .init(learningRate: 3e-3, weightDecay: 0))
        var mode = ForwardMode.training(seed: 1)
        for _ in 0..<800 {
            let (histories, targets) = sample(64)
            let loss = model.loss(
                SIDSequenceBatch(histories: histories, targets: targets, itemTokens: itemTokens, levels: 3), mode: &mode
            )
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
        }
        let (histories, targets) = sample(200)
        let recommender = try GeneratorRecommender(model: .t5(model), table: table, beamWidth: 10)
        let top = try recommender.recommend(histories: histories.map { $0[...] }, k: 1)
        let hits = zip(top, targets).filter { $0.0.first == $0.1 }.count
        #expect(hits >= 150, "top-1 hits \(hits) of 200")
    }
}
