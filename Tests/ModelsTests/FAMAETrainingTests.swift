import Data
import Foundation
import Models
import Tensor
import Testing

@testable import Training

/// Short training runs on synthetic data (generated, not real users).
@Suite struct FAMAETrainingTests {
    /// Metric 2 (item_id masked, Recall@10 of the item_id head) must rise far above chance,
    /// which is 10 / items for a uniform ranking (≈ 0.034 for ~295 items).
    @Test func metric2RisesFarAboveChance() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        let evaluator = FAMAEEvaluator(
            batcher: FAMAESampleBatcher(
                split: data.split, catalog: model.catalog, historyLength: model.configuration.historyLength))
        let validation = data.split.validationSamples
        let before = try evaluator.evaluate(model, samples: validation)
        let report = try FAMAEFixture.train(model, on: data)
        let after = try evaluator.evaluate(model, samples: validation)
        let chance = 10 / Double(data.items.count)
        #expect(report.totalSteps > 0 && report.epochs.count == 3)
        #expect(after.metric2 > 5 * chance, "Metric 2 \(after.metric2) vs chance \(chance)")
        #expect(after.metric2 > before.metric2 + 0.1)
        #expect(after.metric1 > chance, "Metric 1 \(after.metric1) vs chance \(chance)")
        // The trainer keeps the best epoch's parameters.
        #expect(abs((after.metric1 + after.metric2) / 2 - report.bestScore) < 0.05)
    }

    /// The sampled-softmax path also learns. The threshold is lowered from 4,096 to 512 so a
    /// catalogue of ~1,300 synthetic items (what 5-core leaves of 5,000) takes that path and the
    /// test stays seconds long; chance is 10 / items ≈ 0.008.
    @Test func sampledSoftmaxTrainsOnALargeCatalogue() throws {
        let data = try FAMAEFixture.prepared(items: 5_000, users: 2_500, seed: 8)
        let model = try FAMAEFixture.model(for: data) { $0.sampledSoftmaxThreshold = 512 }
        #expect(data.items.count > 512)
        #expect(model.configuration.usesSampledSoftmax(field: 0))
        try FAMAEFixture.train(model, on: data, epochs: 2, windows: 4_000)
        let evaluator = FAMAEEvaluator(
            batcher: FAMAESampleBatcher(
                split: data.split, catalog: model.catalog, historyLength: model.configuration.historyLength))
        let result = try evaluator.evaluate(model, samples: Array(data.split.validationSamples.prefix(1_000)))
        let chance = 10 / Double(data.items.count)
        #expect(result.metric2 > 10 * chance, "Metric 2 \(result.metric2) vs chance \(chance)")
    }

    /// A run interrupted after its first epoch and resumed from its state ends with the same
    /// parameters and validation history as the run that was never interrupted (one thread).
    @Test func resumeContinuesBitIdenticallyAtAnEpochBoundary() throws {
        let data = try FAMAEFixture.prepared()
        let directory = FAMAEFixture.temporaryFile("resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = FAMAEFixture.settings(epochs: 3, windows: 1_000)
        settings.checkpointDirectory = directory.path
        let whole = try FAMAEFixture.model(for: data)
        let wholeReport = try FAMAETrainer(model: whole, split: data.split, configuration: settings).train()
        try FileManager.default.removeItem(at: directory)

        let interrupted = FAMAETrainer(
            model: try FAMAEFixture.model(for: data), split: data.split, configuration: settings)
        interrupted.interruptAfterEpochs = 1
        #expect(try interrupted.train().epochs.count == 1)
        settings.resume = true
        let resumed = try FAMAEFixture.model(for: data)
        var lines: [String] = []
        let resumedReport = try FAMAETrainer(model: resumed, split: data.split, configuration: settings) {
            lines.append($0)
        }.train()
        #expect(lines.contains { $0.contains("resumed from") })
        #expect(resumedReport.totalSteps == wholeReport.totalSteps)
        #expect(resumedReport.epochs.map(\.validationMetric1) == wholeReport.epochs.map(\.validationMetric1))
        for (a, b) in zip(whole.parameters, resumed.parameters) { #expect(a.value == b.value) }

        // Other settings are refused by name rather than silently mixed into the run.
        settings.learningRate *= 2
        #expect(throws: SequenceModelError.self) {
            try FAMAETrainer(model: try FAMAEFixture.model(for: data), split: data.split, configuration: settings)
                .train()
        }
    }

    @Test func checkpointRoundTripsWeightsConfigAndCatalogue() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        let url = FAMAEFixture.temporaryFile("famae.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url, metadata: ["dataset": data.name])
        let loaded = try FAMAEModel.load(from: url)
        #expect(loaded.configuration == model.configuration)
        #expect(loaded.catalog == model.catalog)
        #expect(loaded.itemVectors() == model.itemVectors())
        let contents = try SafeTensors.read(url)
        #expect(contents.metadata["dataset"] == data.name)
        // A file that is not a FAMAE checkpoint is refused with a named error.
        let other = FAMAEFixture.temporaryFile("other.safetensors")
        defer { try? FileManager.default.removeItem(at: other) }
        try SafeTensors.write(["x": Tensor(zeros: [2])], to: other)
        #expect(throws: FAMAEError.self) { try FAMAEModel.load(from: other) }
    }

    @Test func itemVectorsConcatenateFieldEmbeddings() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        let vectors = model.itemVectors()
        let (j, d) = (model.configuration.fieldCount, model.configuration.dimension)
        #expect(vectors.shape == [data.items.count, j * d])
        // item 17's item_id part is row 18 of the item_id table (code = index + 1).
        let table = model.embeddings[0].value.elements
        let row = Array(vectors.elements[(17 * j * d)..<(17 * j * d + d)])
        #expect(row == Array(table[(18 * d)..<(19 * d)]))
    }
}
