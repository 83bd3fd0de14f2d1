import ArgumentParser
import Foundation
import Models
import Tensor

/// `resid demo`: for now, a short real training run of the numeric core.
///
/// A 2-layer pre-LN Transformer encoder (d 128, 4 heads, FFN 512) learns to reverse random
/// token sequences (synthetic data), with AdamW, a warm-up + cosine schedule and gradient
/// clipping, printing progress lines and a summary. The streaming demo replaces this command
/// later; the training itself lives in `ReverseTask.train` so it can be reused.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small Transformer on a synthetic sequence-reversal task and report the result."
    )

    @OptionGroup var blas: BLASThreadOptions

    @Option(help: "Training steps.")
    var steps = 300

    @Option(help: "Sequences per step.")
    var batch = 64

    @Option(help: "Seed for initialisation, data and dropout.")
    var seed: UInt64 = 1

    @Option(help: "Steps between progress lines.")
    var reportEvery = 20

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard reportEvery >= 1 else { throw ValidationError("--report-every must be at least 1, got \(reportEvery)") }
    }

    func run() async throws {
        let threads = try blas.apply()
        var configuration = ReverseTask.Configuration()
        configuration.steps = steps
        configuration.batch = batch
        configuration.seed = seed
        configuration.block = .init(width: 128, heads: 4, feedForwardWidth: 512, dropout: 0.1)
        print(
            "resid demo: 2-layer Transformer encoder (d 128, 4 heads, FFN 512, dropout 0.1) learning to reverse"
                + " \(configuration.length)-token sequences over \(configuration.vocabulary) symbols"
                + " (synthetic data), \(steps) steps of \(batch) sequences, \(threads) BLAS thread(s)"
        )
        let (summary, _) = ReverseTask.train(configuration, reportEvery: reportEvery) { p in
            print(
                "step \(p.step)/\(p.steps)  loss \(format(Double(p.loss), digits: 4))"
                    + "  lr \(String(format: "%.2e", Double(p.learningRate)))"
                    + "  \(Int(p.tokensPerSecond)) tokens/s"
                    + "  elapsed \(format(p.elapsedSeconds))s  ETA \(format(p.etaSeconds))s"
            )
        }
        if json {
            try printJSON(summary)
        } else {
            print(
                """
                done: \(summary.steps) steps in \(format(summary.seconds))s, \(Int(summary.tokensPerSecond)) training tokens/s, \(summary.parameterCount) parameters
                final training loss \(format(Double(summary.finalTrainingLoss), digits: 4)) (chance: ln \(configuration.vocabulary) = \(format(log(Double(configuration.vocabulary)), digits: 3)))
                held-out (\(configuration.evaluationSequences) sequences): loss \(format(Double(summary.evaluationLoss), digits: 4)), token accuracy \(format(summary.tokenAccuracy * 100, digits: 2))%, sequence accuracy \(format(summary.sequenceAccuracy * 100, digits: 2))%
                """
            )
        }
    }
}
