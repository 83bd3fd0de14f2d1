import Data
import Foundation
import Training

/// A real bundle written by the offline pipeline on a small synthetic dataset (labelled
/// synthetic in its items file), built once per test process in a few seconds.
enum TestBundle {
    /// Items in the synthetic catalogue.
    static let itemCount = 150

    /// The bundle directory (built on first use).
    static var url: URL { built.url }

    /// The prepared dataset the bundle was trained on (for realistic item fields and histories).
    static var dataset: PreparedDataset { built.dataset }

    private static let built: (url: URL, dataset: PreparedDataset) = {
        do {
            var synthetic = SyntheticConfiguration(itemCount: itemCount, seed: 5)
            synthetic.userCount = 120
            let dataset = try Preprocessor().prepare(SyntheticDatasetGenerator(synthetic).generate())
            let settings = OfflinePipelineConfiguration.smoke(testUsers: 20, unconstrainedUsers: 8)
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("resid-serve-tests-\(getpid())")
            try? FileManager.default.removeItem(at: root)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let output = root.appendingPathComponent("synthetic-serve-bundle")
            _ = try OfflinePipeline(configuration: settings).run(dataset, output: output)
            atexit {
                let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "resid-serve-tests-\(getpid())")
                try? FileManager.default.removeItem(at: root)
            }
            return (output, dataset)
        } catch {
            fatalError("test bundle: \(error)")
        }
    }()

    /// Raw field values of bundle item `index` (keyed by catalogue column), for item events.
    static func fields(ofItem index: Int) -> [String: [String]] {
        var values: [String: [String]] = [:]
        let table = dataset.items
        for (position, field) in table.fields.enumerated() where position > 0 {
            for value in table.codes(field: position, item: index).compactMap({ field.vocabulary.value(of: $0) })
            where !(values[field.source] ?? []).contains(value) {
                values[field.source, default: []].append(value)
            }
        }
        return values
    }
}
