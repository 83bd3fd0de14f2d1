import ArgumentParser
import Foundation
import Harness

/// `resid evaluate-coldstart --dataset NAME`: runs ``ColdStartEvaluationRun`` (how well new items
/// get recommended: a time split, the E, Q and G stages on the warm items, the new items through
/// the online path, held-out events predicted) and prints its report with `--json`.
struct EvaluateColdStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-coldstart",
        abstract:
            "Time-split cold-start evaluation: new items enter through the online path, then held-out events are predicted."
    )

    @Option(help: "ml-1m, ml-100k or synthetic-ITEMS[-seedN].")
    var dataset: String

    @OptionGroup var dataCache: DatasetCacheOptions

    @Option(
        help:
            "Share of the catalogue that is new: the cut-off time is where the items first seen after it are this share."
    )
    var newItemShare = 0.05

    @Option(
        help:
            "Training seconds per sequence model (ReSID's generator, SASRec*), and for the FAMAE unless --famae-budget is given."
    )
    var budget = 300.0

    @OptionGroup var sequence: SequenceTrainingOptions

    @OptionGroup var famae: FAMAETrainingOptions

    @Option(help: "GAOQ branching b1,b2 (default: round(sqrt(warm items / 15)) each).")
    var branching: String?

    @Option(help: "Share of users whose held-out events choose ReSID's scoring of new items; the rest are the test.")
    var selectionShare = 0.3

    @Option(
        help:
            "Most held-out events with a warm target scored per part, drawn at random (0: all); every new-item target is scored."
    )
    var maxWarmEvents = 3_000

    @OptionGroup var output: JSONOutputOptions

    func validate() throws {
        guard newItemShare > 0, newItemShare < 0.5, budget > 0, selectionShare > 0, selectionShare < 1,
            maxWarmEvents >= 0
        else {
            throw ValidationError(
                "--new-item-share must be in (0, 0.5), --selection-share in (0, 1), --budget positive, --max-warm-events at least 0"
            )
        }
    }

    func run() async throws {
        let log: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        var run = ColdStartEvaluationRun(
            dataset: dataset, command: "resid " + CommandLine.arguments.dropFirst().joined(separator: " "))
        run.cacheDirectory = dataCache.directory
        run.newItemShare = newItemShare
        run.budget = budget
        run.sequence = sequence.settings
        run.famae = famae.settings
        run.branching = branching
        run.selectionShare = selectionShare
        run.maxWarmEvents = maxWarmEvents
        let report = try await InvalidSettings.asValidationError { try await run.run(log: log) }
        if output.json { try printJSON(report) }
    }
}
