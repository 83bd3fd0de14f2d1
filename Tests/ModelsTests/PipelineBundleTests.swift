import Bundle
import Data
import Evaluation
import Foundation
import Inference
import Tensor
import Testing
import Tokenizer
import Training

@testable import Models

/// The offline pipeline end to end on a small synthetic dataset (labelled synthetic), with tiny
/// models so it runs in seconds; the bundle it writes must load back and reproduce its metrics.
@Suite("Offline pipeline bundle")
struct PipelineBundleTests {
    @Test func bundleRoundTrips() throws {
        var synthetic = SyntheticConfiguration(itemCount: 150, seed: 5)
        synthetic.userCount = 120
        let dataset = try Preprocessor().prepare(SyntheticDatasetGenerator(synthetic).generate())
        let settings = OfflinePipelineConfiguration.smoke(testUsers: 40, unconstrainedUsers: 16)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let output = root.appendingPathComponent("synthetic-bundle")
        let summary = try OfflinePipeline(configuration: settings).run(dataset, output: output)

        let bundle = try ModelBundle(directory: output)
        #expect(
            Set(bundle.manifest.files.keys) == [
                "famae.safetensors", "gaoq.safetensors", "generator.safetensors", "items.json", "evaluation.json",
            ])
        #expect(bundle.manifest.codes?.method == "gaoq")
        #expect(summary.constrainedBeams.invalid == 0 && summary.constrainedBeams.beams > 0)
        #expect(summary.testUsers == 40)

        let items = try bundle.decodeJSON(BundleItems.self, from: BundleItems.fileName)
        #expect(items.keys == dataset.items.keys && items.synthetic)
        let codebook = try GAOQCodebook(contentsOf: bundle.url("gaoq.safetensors"))
        #expect(codebook.itemSIDs.map(\.codes) == items.sids)
        _ = try FAMAEModel.load(from: bundle.url("famae.safetensors"))

        // The stored generator reproduces the pipeline's test metrics exactly.
        let generator = try SIDGeneratorModel(contents: bundle.tensors("generator.safetensors"))
        #expect(generator.architecture == settings.architecture)
        let recommender = try GeneratorRecommender(
            model: generator, table: SIDTable(codes: items.sids, levelSizes: generator.vocabulary.levelSizes),
            beamWidth: 10)
        let again = try RankingEvaluator(split: dataset.split, batchSize: 64, userLimit: 40).evaluate(
            recommender, on: .test)
        #expect(again.metrics == summary.test)

        // Bundles are immutable: a second run to the same place fails before training.
        #expect(throws: BundleError.self) { try OfflinePipeline(configuration: settings).run(dataset, output: output) }
    }
}
