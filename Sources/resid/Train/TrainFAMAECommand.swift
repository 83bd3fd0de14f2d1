import ArgumentParser
import Data
import Foundation
import Models
import Tensor
import Training

/// `resid train famae`: trains the FAMAE item encoder and writes its weights and the
/// item vectors GAOQ quantises.
struct TrainFAMAECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "famae",
        abstract: "Train FAMAE; report Metric 1/2 on validation and test; write famae.safetensors and vectors.safetensors.",
        discussion: """
            Each epoch trains on a capped set of sliding-window samples (--windows-per-epoch drawn \
            uniformly at random per epoch, or --recent-per-user most recent windows of each user), \
            so an epoch fits a time budget. After each epoch Metric 1 (all fields masked, fused \
            item ranking) and Metric 2 (item_id masked, item_id head ranking), both Recall@10 on \
            the validation split, select the best model (mean of the two) and drive early stopping.
            """
    )

    @Option(help: "ml-1m, ml-100k (run `resid data fetch` first) or synthetic-ITEMS[-seedN].")
    var dataset: String

    @Option(help: "Output directory (created if needed).")
    var out: String

    @Option(help: "Maximum epochs.")
    var epochs = 20

    @Option(help: "Wall-clock budget for training in seconds (the cosine schedule is fitted to it).")
    var timeBudget: Double?

    @Option(help: "Samples per step (paper: 2048).")
    var batchSize = 2048

    @Option(help: "Peak learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Training windows per epoch, drawn uniformly at random each epoch (0 = all).")
    var windowsPerEpoch = 100_000

    @Option(help: "Instead: each user's N most recent training windows every epoch.")
    var recentPerUser: Int?

    @Option(help: "Early-stopping patience in epochs.")
    var patience = 3

    @Option(help: "Fields with more values than this use a sampled softmax (128 negatives).")
    var sampledSoftmaxThreshold = 4096

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    @Option(help: "OpenBLAS threads.")
    var threads = 2

    @OptionGroup var dataCache: DatasetCacheOptions

    @OptionGroup var output: JSONOutputOptions

    struct Metrics: Encodable {
        var metric1Recall10: Double
        var metric2Recall10: Double
        var metric1: [String: Double]
        var metric2: [String: Double]
        var users: Int
    }

    struct Summary: Encodable {
        var command = "train famae"
        var dataset: String
        var synthetic: Bool
        var users: Int
        var items: Int
        var fields: [FAMAEField]
        var trainingWindows: Int
        var sampling: String
        var model: FAMAEConfiguration
        var training: FAMAETrainingConfiguration
        var blasThreads: Int
        var report: FAMAETrainingReport
        var validation: Metrics
        var test: Metrics
        var prepareSeconds: Double
        var totalSeconds: Double
        var files: [String]
    }

    func run() async throws {
        do {
            try validateOptions()
            BLAS.setThreads(threads)
            let total = Stopwatch()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            log("loading and preparing \(dataset)")
            let prepared = try DatasetName(name: dataset, cacheDir: dataCache.directory).prepare()
            let prepareSeconds = total.elapsed
            if prepared.isSynthetic { log("SYNTHETIC DATA (generated, not real users): \(prepared.name)") }
            var modelConfiguration = FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: prepared.items))
            modelConfiguration.sampledSoftmaxThreshold = sampledSoftmaxThreshold
            let model = try FAMAEModel(configuration: modelConfiguration, catalog: FAMAEItemTableAdapter.catalog(of: prepared.items), seed: seed)
            var settings = FAMAETrainingConfiguration()
            settings.batchSize = batchSize
            settings.learningRate = learningRate
            settings.maxEpochs = epochs
            settings.patience = patience
            settings.timeBudget = timeBudget
            settings.seed = seed
            settings.sampling = recentPerUser.map { .mostRecentPerUser($0) } ?? (windowsPerEpoch == 0 ? .all : .randomPerEpoch(windowsPerEpoch))
            let fieldList = modelConfiguration.fields.map { "\($0.name)(\($0.vocabularySize - 1)\($0.isMultiValued ? ", multi" : ""))" }.joined(separator: ", ")
            log("\(prepared.sequences.userCount) users, \(prepared.items.count) items, \(prepared.split.trainingWindowCount) training windows; fields: \(fieldList); \(model.parameters.reduce(0) { $0 + $1.value.count }) parameters")

            let checkpoint = URL(fileURLWithPath: out).appendingPathComponent("famae.safetensors")
            let metadata = ["dataset": prepared.name, "synthetic": String(prepared.isSynthetic)]
            let trainer = FAMAETrainer(model: model, split: prepared.split, configuration: settings) { log($0) }
            trainer.onBest = { model, record in
                try model.save(to: checkpoint, metadata: metadata.merging(["epoch": String(record.epoch)]) { $1 })
            }
            let report = try trainer.train()
            try model.save(to: checkpoint, metadata: metadata.merging(["epoch": String(report.bestEpoch)]) { $1 })

            log("evaluating the best model on validation and test (\(prepared.split.testSamples.count) users)")
            let evaluator = FAMAEEvaluator(batcher: FAMAESampleBatcher(split: prepared.split, catalog: model.catalog, historyLength: modelConfiguration.historyLength))
            let validation = try evaluator.evaluate(model, samples: prepared.split.validationSamples)
            let test = try evaluator.evaluate(model, samples: prepared.split.testSamples)

            let vectorsURL = URL(fileURLWithPath: out).appendingPathComponent("vectors.safetensors")
            let keys = String(decoding: try JSONEncoder().encode(prepared.items.keys), as: UTF8.self)
            try SafeTensors.write(["vectors": model.itemVectors()], metadata: [
                "dataset": prepared.name, "synthetic": String(prepared.isSynthetic),
                "layout": "item index order; each row = concat of \(modelConfiguration.fieldCount) field embeddings x \(modelConfiguration.dimension): \(modelConfiguration.fields.map(\.name).joined(separator: ","))",
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
            if output.json {
                try printJSON(summary)
            } else {
                if prepared.isSynthetic { print("SYNTHETIC DATA (generated, not real users)") }
                print("FAMAE on \(prepared.name): best epoch \(report.bestEpoch) of \(report.epochs.count) (\(report.stopReason)), \(report.totalSamples) samples in \(format(report.trainingSeconds)) s")
                print("validation Metric1 R@10 \(format(validation.metric1, digits: 4))  Metric2 R@10 \(format(validation.metric2, digits: 4))")
                print("test       Metric1 R@10 \(format(test.metric1, digits: 4))  Metric2 R@10 \(format(test.metric2, digits: 4))")
                print("wrote \(checkpoint.path) and \(vectorsURL.path) [\(prepared.items.count), \(modelConfiguration.itemVectorWidth)]")
            }
        } catch let error as DataError {
            throw ValidationError(error.description)
        } catch let error as FAMAEError {
            throw ValidationError(error.description)
        }
    }

    private func validateOptions() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard windowsPerEpoch >= 0 else { throw ValidationError("--windows-per-epoch must be >= 0 (0 = all windows)") }
        guard recentPerUser.map({ $0 >= 1 }) ?? true else { throw ValidationError("--recent-per-user must be at least 1") }
        guard timeBudget.map({ $0 > 0 }) ?? true else { throw ValidationError("--time-budget must be positive seconds") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard patience >= 1 else { throw ValidationError("--patience must be at least 1") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive") }
    }

    private static func metrics(_ result: FAMAEEvaluator.Result) -> Metrics {
        Metrics(
            metric1Recall10: result.metric1, metric2Recall10: result.metric2,
            metric1: result.collaborative.summary, metric2: result.discriminative.summary, users: result.collaborative.users)
    }
}

private func log(_ line: String) {
    FileHandle.standardError.write(Foundation.Data("[train famae] \(line)\n".utf8))
}
