import Data
import Evaluation
import Foundation
import Inference
public import Models
import Tensor
public import Training

/// What `resid train famae` does: trains the FAMAE item encoder and writes its weights and the
/// item vectors GAOQ quantises.
public struct FAMAETrainingRun: Sendable {
    /// Dataset cache directory for ml-1m / ml-100k (default: the user's cache).
    public var cacheDirectory: String? = nil

    /// ml-1m, ml-100k (run `resid data fetch` first) or synthetic-ITEMS[-seedN].
    public var dataset: String

    /// Output directory (created if needed).
    public var out: String

    /// Maximum epochs.
    public var epochs = 20

    /// Wall-clock budget for training in seconds (the cosine schedule is fitted to it).
    public var timeBudget: Double?

    /// Samples per step (paper: 2048).
    public var batchSize = 2048

    /// Peak learning rate.
    public var learningRate: Float = 1e-3

    /// Training windows per epoch, drawn uniformly at random each epoch (0 = all).
    public var windowsPerEpoch = 100_000

    /// Instead: each user's N most recent training windows every epoch.
    public var recentPerUser: Int?

    /// Early-stopping patience in epochs.
    public var patience = 3

    /// Fields with more values than this use a sampled softmax (128 negatives).
    public var sampledSoftmaxThreshold = 4096

    /// Seed.
    public var seed: UInt64 = 1

    /// OpenBLAS threads.
    public var threads = 2

    /// Training on `dataset` with the defaults of `resid train famae`, writing under `out`.
    public init(dataset: String, out: String) {
        self.dataset = dataset
        self.out = out
    }

    public struct Metrics: Encodable, Sendable {
        public var metric1Recall10: Double
        public var metric2Recall10: Double
        public var metric1: [String: Double]
        public var metric2: [String: Double]
        public var users: Int
    }

    public struct Summary: Encodable, Sendable {
        public var command = "train famae"
        public var dataset: String
        public var synthetic: Bool
        public var users: Int
        public var items: Int
        public var fields: [FAMAEField]
        public var trainingWindows: Int
        public var sampling: String
        public var model: FAMAEConfiguration
        public var training: FAMAETrainingConfiguration
        public var blasThreads: Int
        public var report: FAMAETrainingReport
        public var validation: Metrics
        public var test: Metrics
        public var prepareSeconds: Double
        public var totalSeconds: Double
        public var files: [String]
    }

    /// Prepares the dataset, trains FAMAE (checkpointing the best epoch), evaluates it on
    /// validation and test and writes `famae.safetensors` and `vectors.safetensors` under
    /// ``out``; progress goes to standard error.
    public func run() throws -> Summary {
        do {
            try validateOptions()
            BLAS.setThreads(threads)
            let total = Stopwatch()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            log("loading and preparing \(dataset)")
            let prepared = try DatasetName(name: dataset, cacheDir: cacheDirectory).prepare()
            let prepareSeconds = total.elapsed
            if prepared.isSynthetic { log("SYNTHETIC DATA (generated, not real users): \(prepared.name)") }
            var modelConfiguration = FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: prepared.items))
            modelConfiguration.sampledSoftmaxThreshold = sampledSoftmaxThreshold
            let model = try FAMAEModel(
                configuration: modelConfiguration, catalog: FAMAEItemTableAdapter.catalog(of: prepared.items),
                seed: seed)
            var settings = FAMAETrainingConfiguration()
            settings.batchSize = batchSize
            settings.learningRate = learningRate
            settings.maxEpochs = epochs
            settings.patience = patience
            settings.timeBudget = timeBudget
            settings.seed = seed
            settings.sampling =
                recentPerUser.map { .mostRecentPerUser($0) }
                ?? (windowsPerEpoch == 0 ? .all : .randomPerEpoch(windowsPerEpoch))
            let fieldList = modelConfiguration.fields.map {
                "\($0.name)(\($0.vocabularySize - 1)\($0.isMultiValued ? ", multi" : ""))"
            }.joined(separator: ", ")
            log(
                "\(prepared.sequences.userCount) users, \(prepared.items.count) items, \(prepared.split.trainingWindowCount) training windows; fields: \(fieldList); \(model.parameters.reduce(0) { $0 + $1.value.count }) parameters"
            )

            let checkpoint = URL(fileURLWithPath: out).appendingPathComponent("famae.safetensors")
            let metadata = ["dataset": prepared.name, "synthetic": String(prepared.isSynthetic)]
            let trainer = FAMAETrainer(model: model, split: prepared.split, configuration: settings) { log($0) }
            trainer.onBest = { model, record in
                try model.save(to: checkpoint, metadata: metadata.merging(["epoch": String(record.epoch)]) { $1 })
            }
            let report = try trainer.train()
            try model.save(to: checkpoint, metadata: metadata.merging(["epoch": String(report.bestEpoch)]) { $1 })

            log("evaluating the best model on validation and test (\(prepared.split.testSamples.count) users)")
            let evaluator = FAMAEEvaluator(
                batcher: FAMAESampleBatcher(
                    split: prepared.split, catalog: model.catalog, historyLength: modelConfiguration.historyLength))
            let validation = try evaluator.evaluate(model, samples: prepared.split.validationSamples)
            let test = try evaluator.evaluate(model, samples: prepared.split.testSamples)

            let vectorsURL = URL(fileURLWithPath: out).appendingPathComponent("vectors.safetensors")
            let keys = String(decoding: try JSONEncoder().encode(prepared.items.keys), as: UTF8.self)
            try SafeTensors.write(
                ["vectors": model.itemVectors()],
                metadata: [
                    "dataset": prepared.name, "synthetic": String(prepared.isSynthetic),
                    "layout":
                        "item index order; each row = concat of \(modelConfiguration.fieldCount) field embeddings x \(modelConfiguration.dimension): \(modelConfiguration.fields.map(\.name).joined(separator: ","))",
                    "keys": keys,
                ], to: vectorsURL)

            let summary = Summary(
                dataset: prepared.name, synthetic: prepared.isSynthetic, users: prepared.sequences.userCount,
                items: prepared.items.count, fields: modelConfiguration.fields,
                trainingWindows: prepared.split.trainingWindowCount, sampling: "\(settings.sampling)",
                model: modelConfiguration, training: settings, blasThreads: threads, report: report,
                validation: Self.metrics(validation), test: Self.metrics(test),
                prepareSeconds: prepareSeconds, totalSeconds: total.elapsed,
                files: [checkpoint.path, vectorsURL.path])
            return summary
        } catch let error as DataError {
            throw InvalidSettings(error.description)
        } catch let error as FAMAEError {
            throw InvalidSettings(error.description)
        }
    }

    /// Checks the settings before any work.
    private func validateOptions() throws {
        guard epochs >= 1 else { throw InvalidSettings("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw InvalidSettings("--batch-size must be at least 1") }
        guard windowsPerEpoch >= 0 else { throw InvalidSettings("--windows-per-epoch must be >= 0 (0 = all windows)") }
        guard recentPerUser.map({ $0 >= 1 }) ?? true else {
            throw InvalidSettings("--recent-per-user must be at least 1")
        }
        guard timeBudget.map({ $0 > 0 }) ?? true else {
            throw InvalidSettings("--time-budget must be positive seconds")
        }
        guard threads >= 1 else { throw InvalidSettings("--threads must be at least 1") }
        guard patience >= 1 else { throw InvalidSettings("--patience must be at least 1") }
        guard learningRate > 0 else { throw InvalidSettings("--learning-rate must be positive") }
    }

    private static func metrics(_ result: FAMAEEvaluator.Result) -> Metrics {
        Metrics(
            metric1Recall10: result.metric1, metric2Recall10: result.metric2,
            metric1: result.collaborative.summary, metric2: result.discriminative.summary,
            users: result.collaborative.users)
    }
}

private func log(_ line: String) {
    FileHandle.standardError.write(Foundation.Data("[train famae] \(line)\n".utf8))
}
