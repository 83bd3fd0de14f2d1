import Data
import Foundation
import Evaluation
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
        let model = try SIDGenerator(configuration: configuration, vocabulary: GeneratorVocabulary(levelSizes: table.levelSizes), seed: 1)
        return try TrainableGenerator(model: model, table: table, beamWidth: 8)
    }

    static func settings() -> SequenceTrainingConfiguration {
        var settings = SequenceTrainingConfiguration()
        settings.batchSize = 64
        settings.maxEpochs = 2
        settings.windowSampling = .randomPerEpoch(192)
        settings.validationUsers = 24
        settings.warmupSteps = 2
        return settings
    }

    @Test func trainsValidatesAndKeepsTheBestModel() throws {
        let data = try Self.prepared()
        let trainable = try Self.trainable(items: data.items.count)
        var lines: [String] = []
        let report = try SequenceTrainer(model: trainable, split: data.split, configuration: Self.settings(), progress: { lines.append($0) }).train()
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
        let rescored = try Evaluation.RankingEvaluator(split: data.split, batchSize: 64, userLimit: 24).evaluate(try trainable.recommender(), on: .validation)
        #expect(abs((rescored.metrics["ndcg@10"] ?? -1) - best.ndcg10) < 1e-9)
    }

    @Test func timeBudgetStopsTraining() throws {
        let data = try Self.prepared()
        var settings = Self.settings()
        settings.maxEpochs = 1000
        settings.timeBudgetSeconds = 0.5
        let report = try SequenceTrainer(model: try Self.trainable(items: data.items.count), split: data.split, configuration: settings).train()
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
}
