public import Data
import Evaluation
import Inference
public import Models
import Tensor
public import Training

/// How the runs that need item vectors (the comparison, the cold-start evaluation) train their
/// FAMAE, so both train it under the same settings.
public struct FAMAETrainingSettings: Sendable {
    /// Training seconds (nil: until validation stops improving).
    public var budget: Double?

    /// Samples per step.
    public var batch = 256

    /// Training windows per epoch, drawn at random each epoch.
    public var windowsPerEpoch = 100_000

    /// Most epochs.
    public var maxEpochs = FAMAETrainingConfiguration().maxEpochs

    /// The defaults of the commands that train a FAMAE.
    public init() {}

    /// A FAMAE trained under these settings, with its evaluation and wall time.
    public struct Trained {
        public var model: FAMAEModel
        public var report: FAMAETrainingReport
        public var metrics: FAMAEEvaluator.Result
        public var seconds: Double
    }

    /// A FAMAE over `items`, trained on `split` (best validation epoch kept), with its
    /// validation Metric 1 and Metric 2 and the wall time.
    /// - Parameters:
    ///   - checkpointDirectory: where the trainer keeps its resume state (nil: none).
    ///   - resume: continue from the state there.
    public func train(
        items: ItemTable, split: LeaveOneOutSplit, threads: Int, seed: UInt64, checkpointDirectory: String? = nil,
        resume: Bool = false,
        log: @escaping (String) -> Void
    ) throws -> Trained {
        let clock = Stopwatch()
        let famae = try FAMAEModel(
            configuration: FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: items)),
            catalog: FAMAEItemTableAdapter.catalog(of: items), seed: seed)
        var settings = FAMAETrainingConfiguration()
        settings.timeBudget = budget
        settings.batchSize = batch
        settings.sampling = .randomPerEpoch(windowsPerEpoch)
        settings.maxEpochs = maxEpochs
        settings.threads = threads
        settings.seed = seed
        settings.checkpointDirectory = checkpointDirectory
        settings.resume = resume
        let report = try FAMAETrainer(model: famae, split: split, configuration: settings, progress: log).train()
        let seconds = clock.elapsed
        let metrics = try FAMAEEvaluator(
            batcher: FAMAESampleBatcher(
                split: split, catalog: famae.catalog, historyLength: famae.configuration.historyLength)
        )
        .evaluate(famae, samples: split.validationSamples)
        log(
            "FAMAE (best epoch \(report.bestEpoch), \(Int(seconds)) s): validation Metric1 R@10 \(truncatedDecimal(metrics.metric1, digits: 4)) Metric2 R@10 \(truncatedDecimal(metrics.metric2, digits: 4)) over \(metrics.collaborative.users) users"
        )
        return Trained(model: famae, report: report, metrics: metrics, seconds: seconds)
    }
}
