import Bundle
public import Data
import Evaluation
public import Foundation
import Inference
import JSON
import Models
import Tensor
import Tokenizer

/// The offline pipeline behind `resid pipeline`: train FAMAE on a prepared dataset, quantise its
/// item vectors with GAOQ, train the SID generator, evaluate it on the test split, and write a
/// complete, verified bundle (`manifest.json` with SHA-256 per file and the files of
/// ``BundleFiles``: `famae.safetensors`, `gaoq.safetensors`, `generator.safetensors`,
/// `items.json`, `evaluation.json`).
public final class OfflinePipeline {
    public let configuration: OfflinePipelineConfiguration
    public var progress: (String) -> Void

    public init(configuration: OfflinePipelineConfiguration, progress: @escaping (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.progress = progress
    }

    /// Runs every stage and writes the bundle to `output` (which must not exist).
    /// - Throws: the first stage's error (each names its stage's problem); nothing is left at
    ///   `output` on failure.
    public func run(_ dataset: PreparedDataset, output: URL) throws -> OfflinePipelineSummary {
        let settings = configuration
        let clock = Stopwatch()
        var summary = OfflinePipelineSummary(
            dataset: dataset.name, synthetic: dataset.isSynthetic, items: dataset.items.count,
            users: dataset.sequences.userCount, bundle: output.path, bundleID: output.lastPathComponent)
        // Fail before hours of training, not after.
        let writer = try BundleWriter(directory: output)

        // E-stage: FAMAE.
        var stage = Stopwatch()
        progress(
            "[1/5] FAMAE on \(dataset.name)\(dataset.isSynthetic ? " (synthetic)" : ""): \(dataset.items.count) items, \(dataset.items.fields.count) fields"
        )
        var famaeConfiguration = FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: dataset.items))
        famaeConfiguration.dimension = settings.famaeWidth
        famaeConfiguration.feedForward = settings.famaeFeedForward
        let famae = try FAMAEModel(
            configuration: famaeConfiguration, catalog: FAMAEItemTableAdapter.catalog(of: dataset.items),
            seed: settings.seed)
        var famaeTraining = FAMAETrainingConfiguration()
        famaeTraining.maxEpochs = settings.famaeMaxEpochs
        famaeTraining.sampling = settings.windowSampling
        famaeTraining.batchSize = settings.generatorTraining.batchSize
        famaeTraining.seed = settings.seed
        famaeTraining.threads = settings.threads
        famaeTraining.timeBudget = settings.timeBudgetSeconds.map { $0 * settings.famaeBudgetShare }
        summary.famae = try FAMAETrainer(
            model: famae, split: dataset.split, configuration: famaeTraining, progress: progress
        ).train()
        summary.stageSeconds["famae"] = stage.elapsed

        // Q-stage: GAOQ on the concatenated field embeddings.
        stage.restart()
        let (b1, b2) = settings.branching(items: dataset.items.count)
        progress("[2/5] GAOQ b1 = \(b1), b2 = \(b2) on \(dataset.items.count) item vectors")
        let quantiser = GAOQ.Configuration(b1: b1, b2: b2, seed: settings.seed)
        let fit = try GAOQ(quantiser).fit(famae.itemVectors(), progress: progress)
        let codebook = fit.codebook
        summary.codes = [b1, b2, codebook.g3]
        summary.stageSeconds["gaoq"] = stage.elapsed

        // G-stage: the generator on GAOQ SIDs, with what is left of the budget.
        stage.restart()
        let table = codebook.table
        let vocabulary = GeneratorVocabulary(levelSizes: [b1, b2, codebook.g3 + max(0, settings.level3Headroom)])
        var training = settings.generatorTraining
        training.seed = settings.seed
        training.threads = settings.threads
        training.windowSampling = settings.windowSampling
        if let budget = settings.timeBudgetSeconds {
            training.timeBudgetSeconds = max(30, budget - clock.elapsed - settings.evaluationReserveSeconds)
        }
        progress(
            "[3/5] \(settings.architecture.rawValue) generator on GAOQ SIDs\(training.timeBudgetSeconds.map { " (budget \(Int($0)) s)" } ?? "")"
        )
        let trainable = try GeneratorTraining.trainable(
            settings.architecture, t5: settings.generator, causal: settings.causalGenerator, vocabulary: vocabulary,
            table: table,
            name: "resid-\(settings.architecture.rawValue)", beamWidth: settings.beamWidth, seed: settings.seed)
        summary.generator = try GeneratorTraining.train(
            trainable, split: dataset.split, configuration: training, progress: progress)
        let generator = trainable.generatorModel
        summary.stageSeconds["generator"] = stage.elapsed

        // Test metrics with the trie, then invalid beams with and without it.
        stage.restart()
        progress("[4/5] test evaluation (beam \(settings.beamWidth))")
        let recommender = try trainable.generatorRecommender(beamWidth: settings.beamWidth)
        let test = try RankingEvaluator(
            split: dataset.split, batchSize: training.evaluationBatchSize, userLimit: settings.testUsers, threads: 1
        )
        .evaluate(recommender, on: .test, progress: progress)
        summary.test = test.metrics
        summary.testUsers = test.users
        summary.constrainedBeams = BeamCount(beams: recommender.beams, invalid: recommender.invalidBeams)
        recommender.resetCounters()
        recommender.constrained = false
        _ = try RankingEvaluator(
            split: dataset.split, batchSize: training.evaluationBatchSize, userLimit: settings.unconstrainedUsers
        )
        .evaluate(recommender, on: .test)
        summary.unconstrainedBeams = BeamCount(beams: recommender.beams, invalid: recommender.invalidBeams)
        summary.stageSeconds["test"] = stage.elapsed
        progress(
            "test: " + Self.metricLine(test.metrics)
                + " over \(test.users) users; invalid beams with trie \(summary.constrainedBeams.invalid)/\(summary.constrainedBeams.beams), without \(summary.unconstrainedBeams.invalid)/\(summary.unconstrainedBeams.beams)"
        )

        // The bundle.
        stage.restart()
        progress("[5/5] writing bundle \(output.path)")
        try writer.write(
            try Self.fileBytes { try famae.save(to: $0, metadata: ["dataset": dataset.name]) }, as: BundleFiles.famae)
        try writer.write(try Self.fileBytes { try codebook.save(to: $0) }, as: BundleFiles.codebook)
        try writer.writeTensors(generator.namedTensors(), metadata: try generator.metadata(), as: BundleFiles.generator)
        try writer.writeJSON(BundleItems(dataset: dataset, sids: table.codes), as: BundleItems.fileName)
        summary.stageSeconds["bundle"] = stage.elapsed
        summary.totalSeconds = clock.elapsed
        try writer.writeJSON(summary, as: BundleFiles.evaluation)
        var manifest = BundleManifest(
            bundleID: output.lastPathComponent,
            schema: try Self.json([
                "dataset": JSONValue.string(dataset.name), "fields": try Self.json(dataset.items.fields),
            ]),
            hyperparameters: [
                "famae": try Self.json(famaeConfiguration), "famae_training": try Self.json(famaeTraining),
                "gaoq": try Self.json([
                    "b1": Double(b1), "b2": Double(b2), "g3": Double(codebook.g3),
                    "largest_group": Double(codebook.largestGroup),
                    "level3_slack": quantiser.level3Slack, "level3_held_codes": Double(codebook.heldLevel3Codes.count),
                    "level3_headroom": Double(settings.level3Headroom),
                ]),
                "generator_architecture": .string(settings.architecture.rawValue),
                "generator": settings.architecture == .t5
                    ? try Self.json(settings.generator) : try Self.json(settings.causalGenerator),
                "generator_training": try Self.json(training),
            ],
            codes: .init(method: "gaoq", levelSizes: vocabulary.levelSizes),
            notes: [
                "dataset": dataset.name + (dataset.isSynthetic ? " (synthetic)" : ""),
                "time_budget_seconds": settings.timeBudgetSeconds.map { String($0) } ?? "none",
                "test_metrics": Self.metricLine(test.metrics) + " over \(test.users) users",
            ])
        manifest.createdAt = Date()
        let bundle = try writer.finish(manifest)
        try bundle.verify()
        summary.totalSeconds = clock.elapsed
        progress(
            "bundle \(bundle.id) written and verified (\(bundle.manifest.files.count) files) in \(Int(summary.totalSeconds)) s total"
        )
        return summary
    }

    static func metricLine(_ metrics: [String: Double]) -> String {
        ResultsReport.metricColumns.map { "\($0) \(String(format: "%.4f", metrics[$0] ?? 0))" }.joined(separator: " ")
    }

    /// Bytes of a file that an API can only write to a path.
    static func fileBytes(_ write: (URL) throws -> Void) throws -> Foundation.Data {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "resid-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try write(url)
        return try Foundation.Data(contentsOf: url)
    }

    static func json<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}

/// Beams returned and how many were no item.
public struct BeamCount: Sendable, Codable {
    public var beams = 0
    public var invalid = 0

    public init(beams: Int = 0, invalid: Int = 0) {
        self.beams = beams
        self.invalid = invalid
    }

    /// Invalid share (0 when no beams).
    public var rate: Double { beams == 0 ? 0 : Double(invalid) / Double(beams) }
}

/// What `resid pipeline` did: stage times, each stage's report, test metrics and the bundle.
public struct OfflinePipelineSummary: Sendable, Codable {
    public var dataset: String
    public var synthetic: Bool
    public var items: Int
    public var users: Int
    public var bundle: String
    public var bundleID: String
    public var stageSeconds: [String: Double] = [:]
    public var totalSeconds = 0.0
    public var famae: FAMAETrainingReport?
    /// b1, b2, g3.
    public var codes: [Int] = []
    public var generator: SequenceTrainingReport?
    public var test: [String: Double] = [:]
    public var testUsers = 0
    public var constrainedBeams = BeamCount()
    public var unconstrainedBeams = BeamCount()

    public init(dataset: String, synthetic: Bool, items: Int, users: Int, bundle: String, bundleID: String) {
        (self.dataset, self.synthetic, self.items, self.users, self.bundle, self.bundleID) = (
            dataset, synthetic, items, users, bundle, bundleID
        )
    }
}
