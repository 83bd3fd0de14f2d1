import Data
public import Foundation
import Training

/// Builds a large synthetic bundle for serving-memory measurements with the real offline
/// pipeline: default model widths (so weights are the size a real bundle's are), but minimal
/// training (one short epoch each), because only the serving footprint is measured, not quality.
///
/// The catalogue is generated with flat popularity and long sequences so that almost every item
/// survives the 5-core filter (the default Zipf popularity would drop most of the tail).
public enum SyntheticServeBundle {
    /// Writes the bundle to `output` (which must not exist) with about `items` items after 5-core.
    /// - Returns: the number of items in the bundle.
    public static func build(items: Int, output: URL, progress: @escaping (String) -> Void) throws -> Int {
        // Uniform popularity, ~8.6 events per item: about 8% of items fall below 5 events.
        var synthetic = SyntheticConfiguration(itemCount: Int(Double(items) * 1.09), seed: 11)
        synthetic.popularityExponent = 0
        synthetic.meanSequenceLength = 150
        synthetic.maxSequenceLength = 200
        synthetic.minSequenceLength = 100
        synthetic.userCount = max(100, Int(Double(synthetic.itemCount) * 8.6 / 150))
        progress("generating synthetic data: \(synthetic.itemCount) items, \(synthetic.resolvedUserCount) users")
        let dataset = try Preprocessor().prepare(SyntheticDatasetGenerator(synthetic).generate())
        progress("after 5-core: \(dataset.items.count) items, \(dataset.sequences.userCount) users")
        var settings = OfflinePipelineConfiguration()
        settings.famaeMaxEpochs = 1
        settings.windowSampling = .randomPerEpoch(512)
        settings.generatorTraining.maxEpochs = 1
        settings.generatorTraining.batchSize = 256
        settings.generatorTraining.validationUsers = 32
        settings.beamWidth = 10
        settings.testUsers = 32
        settings.unconstrainedUsers = 8
        let summary = try OfflinePipeline(configuration: settings, progress: progress).run(dataset, output: output)
        return summary.items
    }
}
