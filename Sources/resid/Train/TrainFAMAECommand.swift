import ArgumentParser
import Harness
import Models
import Training

/// `resid train famae`: runs ``FAMAETrainingRun`` (trains the FAMAE item encoder and writes its
/// weights and the item vectors GAOQ quantises) and prints its summary.
struct TrainFAMAECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "famae",
        abstract:
            "Train FAMAE; report Metric 1/2 on validation and test; write famae.safetensors and vectors.safetensors.",
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

    @OptionGroup var training: TrainingThreadOptions

    @OptionGroup var dataCache: DatasetCacheOptions

    @OptionGroup var output: JSONOutputOptions

    func run() async throws {
        var run = FAMAETrainingRun(dataset: dataset, out: out)
        run.epochs = epochs
        run.timeBudget = timeBudget
        run.batchSize = batchSize
        run.learningRate = learningRate
        run.windowsPerEpoch = windowsPerEpoch
        run.recentPerUser = recentPerUser
        run.patience = patience
        run.sampledSoftmaxThreshold = sampledSoftmaxThreshold
        run.seed = seed
        run.threads = training.threads
        run.cacheDirectory = dataCache.directory
        let summary = try await InvalidSettings.asValidationError { try run.run() }
        if output.json {
            try printJSON(summary)
        } else {
            if summary.synthetic { print("SYNTHETIC DATA (generated, not real users)") }
            let report = summary.report
            print(
                "FAMAE on \(summary.dataset): best epoch \(report.bestEpoch) of \(report.epochs.count) (\(report.stopReason)), \(report.totalSamples) samples in \(format(report.trainingSeconds)) s"
            )
            print(
                "validation Metric1 R@10 \(format(summary.validation.metric1Recall10, digits: 4))  Metric2 R@10 \(format(summary.validation.metric2Recall10, digits: 4))"
            )
            print(
                "test       Metric1 R@10 \(format(summary.test.metric1Recall10, digits: 4))  Metric2 R@10 \(format(summary.test.metric2Recall10, digits: 4))"
            )
            print(
                "wrote \(summary.files[0]) and \(summary.files[1]) [\(summary.items), \(summary.model.itemVectorWidth)]"
            )
        }
    }
}
