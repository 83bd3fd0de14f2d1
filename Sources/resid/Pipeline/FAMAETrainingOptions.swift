import ArgumentParser
import Data
import Evaluation
import Inference
import Models
import Tensor
import Training

/// The FAMAE training options shared by the commands that train one (`compare`,
/// `evaluate-coldstart`).
struct FAMAETrainingOptions: ParsableArguments {
    @Option(help: "Training seconds for the FAMAE (default: none; it trains until validation stops improving).")
    var famaeBudget: Double?

    @Option(help: "FAMAE samples per step.")
    var famaeBatch = 256

    @Option(help: "FAMAE training windows per epoch, drawn at random each epoch.")
    var famaeWindowsPerEpoch = 100_000

    @Option(help: "Most FAMAE epochs.")
    var famaeMaxEpochs = FAMAETrainingConfiguration().maxEpochs

    func validate() throws {
        guard famaeBudget.map({ $0 > 0 }) ?? true, famaeBatch >= 1, famaeWindowsPerEpoch >= 1, famaeMaxEpochs >= 1
        else {
            throw ValidationError(
                "--famae-budget, --famae-batch, --famae-windows-per-epoch and --famae-max-epochs must be positive")
        }
    }

    /// A FAMAE over `items`, trained on `split` (best validation epoch kept), with its
    /// validation Metric 1 and Metric 2 and the wall time.
    /// - Parameters:
    ///   - checkpointDirectory: where the trainer keeps its resume state (nil: none).
    ///   - resume: continue from the state there.
    func train(
        items: ItemTable, split: LeaveOneOutSplit, threads: Int, seed: UInt64, checkpointDirectory: String? = nil,
        resume: Bool = false,
        log: @escaping (String) -> Void
    ) throws
        -> (model: FAMAEModel, report: FAMAETrainingReport, metrics: FAMAEEvaluator.Result, seconds: Double)
    {
        let clock = Stopwatch()
        let famae = try FAMAEModel(
            configuration: FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: items)),
            catalog: FAMAEItemTableAdapter.catalog(of: items), seed: seed)
        var settings = FAMAETrainingConfiguration()
        settings.timeBudget = famaeBudget
        settings.batchSize = famaeBatch
        settings.sampling = .randomPerEpoch(famaeWindowsPerEpoch)
        settings.maxEpochs = famaeMaxEpochs
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
            "FAMAE (best epoch \(report.bestEpoch), \(Int(seconds)) s): validation Metric1 R@10 \(format(metrics.metric1, digits: 4)) Metric2 R@10 \(format(metrics.metric2, digits: 4)) over \(metrics.collaborative.users) users"
        )
        return (famae, report, metrics, seconds)
    }
}
