import ArgumentParser
import Foundation
import Harness
import Models

/// `resid compare --dataset NAME --models ...`: runs ``ComparisonRun`` (trains each model under
/// the same protocol, scores each on the test split, and writes the results table (Markdown +
/// JSON) and the learning curves (SVG)) and prints its rows with `--json`.
///
/// Without `--budget` every model trains until validation stops improving (patience counted in
/// epochs, never before `--min-epochs`), so the table compares converged models; with it, every
/// model gets the same wall-clock budget. SID models share one FAMAE (trained first) and differ
/// in the quantiser and the generator: `resid` is the default (causal) generator on GAOQ SIDs,
/// `resid-t5` the paper's T5 generator on the same SIDs, and `rq-kmeans`, `hkmeans`,
/// `random-sids` put the `--generator` architecture on other SIDs. ID models: `sasrec`,
/// `sasrec*`; `mostpop` is the floor.
///
/// With `--checkpoint-dir`, each model keeps its best weights and resume state there and the
/// FAMAE is saved; `--resume` continues an interrupted comparison where it stopped.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Train and test ReSID and baselines under one protocol; write a results table and learning curves."
    )

    static let knownModels = ComparisonRun.knownModels

    @Option(help: "ml-1m, ml-100k or synthetic-ITEMS[-seedN].")
    var dataset: String

    @OptionGroup var dataCache: DatasetCacheOptions

    @Option(
        help:
            "Comma-separated models: \(Self.knownModels.joined(separator: ", ")). random-sids is the GAOQ code tree with items assigned to its SIDs at random (SIDs without semantics)."
    )
    var models = "mostpop,sasrec,sasrec*,resid,resid-t5,rq-kmeans,hkmeans,random-sids"

    @Option(help: "Generator architecture for rq-kmeans, hkmeans and random-sids: causal or t5.")
    var generator = GeneratorArchitecture.causal.rawValue

    @Option(help: "Training seconds per model (default: none; each model trains until validation stops improving).")
    var budget: Double?

    @OptionGroup var sequence: SequenceTrainingOptions

    @OptionGroup var famae: FAMAETrainingOptions

    @Option(
        help:
            "Item vectors to quantise instead of training a FAMAE (a NAME.DATASET.famae-vectors.safetensors file an earlier comparison wrote), for ablations on the same vectors."
    )
    var vectors: String?

    @Option(help: "Test users (0: all).")
    var testUsers = 0

    @Flag(
        help:
            "Leave each user's earlier items out of validation and test rankings (every model, MostPop too), for catalogues of things consumed once."
    )
    var excludeHistory = false

    @Option(help: "GAOQ / k-means branching b1,b2 (default: round(sqrt(items / 15)) each).")
    var branching: String?

    @Option(help: "Markdown report to append rows to (JSON beside it, learning curves as NAME.DATASET.curves.svg).")
    var report = "results.md"

    @Option(help: "Directory for best weights, resume states and the shared FAMAE.")
    var checkpointDir: String?

    @Flag(help: "Continue an interrupted comparison from --checkpoint-dir.")
    var resume = false

    @OptionGroup var output: JSONOutputOptions

    func validate() throws {
        let names = modelNames
        if let bad = names.first(where: { !Self.knownModels.contains($0) }) {
            throw ValidationError(
                "--models: unknown model '\(bad)'; choose from \(Self.knownModels.joined(separator: ", "))")
        }
        guard GeneratorArchitecture(rawValue: generator) != nil else {
            throw ValidationError("--generator must be causal or t5, not '\(generator)'")
        }
        guard budget.map({ $0 > 0 }) ?? true else { throw ValidationError("--budget must be positive") }
        guard !resume || checkpointDir != nil else { throw ValidationError("--resume needs --checkpoint-dir") }
    }

    private var modelNames: [String] {
        models.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    func run() async throws {
        let log: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        var run = ComparisonRun(
            dataset: dataset, models: modelNames,
            command: "resid " + CommandLine.arguments.dropFirst().joined(separator: " "))
        run.cacheDirectory = dataCache.directory
        run.generator = GeneratorArchitecture(rawValue: generator) ?? .causal
        run.budget = budget
        run.sequence = sequence.settings
        run.famae = famae.settings
        run.vectors = vectors
        run.testUsers = testUsers
        run.excludeHistory = excludeHistory
        run.branching = branching
        run.report = report
        run.checkpointDirectory = checkpointDir
        run.resume = resume
        let rows = try await InvalidSettings.asValidationError { try run.run(log: log) }
        if output.json { try? printJSON(rows) }
        log("report: \(report)")
    }
}
