import Data
import Foundation
import Inference
import Models
import Tensor
import Training

/// Small synthetic datasets and FAMAE models for the FAMAE tests (synthetic data: not real users).
enum FAMAEFixture {
    /// A prepared synthetic dataset (5-core, leave-one-out).
    static func prepared(items: Int = 300, users: Int = 800, seed: UInt64 = 5) throws -> PreparedDataset {
        var configuration = SyntheticConfiguration(itemCount: items, seed: seed)
        configuration.userCount = users
        configuration.meanSequenceLength = 12
        return try Preprocessor().prepare(SyntheticDatasetGenerator(configuration).generate())
    }

    /// A narrow FAMAE (d 32, 2 layers, 2 heads, FFN 64, history 8) so tests run in seconds;
    /// everything else as in the paper.
    static func configuration(for table: ItemTable) -> FAMAEConfiguration {
        var configuration = FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: table))
        configuration.dimension = 32
        configuration.heads = 2
        configuration.feedForward = 64
        configuration.historyLength = 8
        return configuration
    }

    static func model(
        for data: PreparedDataset, seed: UInt64 = 7, configure: (inout FAMAEConfiguration) -> Void = { _ in }
    ) throws -> FAMAEModel {
        var configuration = configuration(for: data.items)
        configure(&configuration)
        return try FAMAEModel(
            configuration: configuration, catalog: FAMAEItemTableAdapter.catalog(of: data.items), seed: seed)
    }

    /// Trains `model` for `epochs` epochs of `windows` random windows in batches of 64.
    @discardableResult
    static func train(
        _ model: FAMAEModel, on data: PreparedDataset, epochs: Int = 3, windows: Int = 3_000
    ) throws -> FAMAETrainingReport {
        try FAMAETrainer(model: model, split: data.split, configuration: settings(epochs: epochs, windows: windows))
            .train()
    }

    /// Short-run settings: batches of 64, `windows` random windows per epoch, 300 validation users.
    static func settings(epochs: Int = 3, windows: Int = 3_000) -> FAMAETrainingConfiguration {
        var settings = FAMAETrainingConfiguration()
        settings.batchSize = 64
        settings.maxEpochs = epochs
        settings.sampling = .randomPerEpoch(windows)
        settings.learningRate = 3e-3
        settings.logEvery = 1_000_000
        settings.validationLimit = 300
        return settings
    }

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("famae-test-\(UUID().uuidString)-\(name)")
    }
}
