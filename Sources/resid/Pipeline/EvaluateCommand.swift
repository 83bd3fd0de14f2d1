import ArgumentParser
import Bundle
import Data
import Evaluation
import Foundation
import Inference
import Models
import Tensor
import Tokenizer
import Training

/// `resid evaluate --bundle DIR --dataset NAME`: scores a bundle's generator on the dataset's
/// leave-one-out test split (full ranking, trie-constrained beam search) and prints
/// Recall/NDCG@5/10, optionally appending a row to a Markdown results report.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Test-split Recall@5/10 and NDCG@5/10 of a bundle's SID generator."
    )

    @Option(help: "Bundle directory written by `resid pipeline`.")
    var bundle: String

    @Option(help: "Dataset the bundle was trained on (ml-1m, ml-100k, synthetic-ITEMS[-seedN]).")
    var dataset: String

    @OptionGroup var dataCache: DatasetCacheOptions

    @Option(help: "validation or test.")
    var split: String = "test"

    @Option(help: "Beam width.")
    var beam = 50

    @Option(help: "Users decoded together.")
    var batch = 64

    @Option(help: "Score only the first N users (reported).")
    var users: Int?

    @Flag(help: "Switch the trie constraint off (to measure invalid beams).")
    var unconstrained = false

    @OptionGroup var blas: BLASThreadOptions

    @Option(help: "Append the result as a row to this Markdown report (JSON kept beside it).")
    var report: String?

    @OptionGroup var output: JSONOutputOptions

    struct Output: Codable {
        var bundle: String
        var dataset: String
        var synthetic: Bool
        var split: String
        var users: Int
        var beam: Int
        var constrained: Bool
        var metrics: [String: Double]
        var beams: Int
        var invalidBeams: Int
        var seconds: Double
        var usersPerSecond: Double
    }

    func run() async throws {
        try blas.apply()
        guard let which = RankingEvaluator.Split(rawValue: split) else {
            throw ValidationError("--split must be validation or test, not '\(split)'")
        }
        guard beam >= 1, batch >= 1 else { throw ValidationError("--beam and --batch must be at least 1") }
        let loaded = try ModelBundle(directory: URL(fileURLWithPath: bundle))
        let items = try loaded.decodeJSON(BundleItems.self, from: BundleItems.fileName)
        let generator = try SIDGeneratorModel(contents: loaded.tensors(BundleFiles.generator))
        let prepared = try DatasetName(name: dataset, cacheDir: dataCache.directory).prepare(
            historyLimit: generator.historyLimit)
        guard prepared.items.keys == items.keys else {
            throw ValidationError(
                "the bundle's items (\(items.keys.count), from \(items.dataset)) are not the prepared items of --dataset \(dataset) (\(prepared.items.count)); pass the dataset the bundle was trained on"
            )
        }
        let table = SIDTable(codes: items.sids, levelSizes: generator.vocabulary.levelSizes)
        let recommender = try GeneratorRecommender(model: generator, table: table, beamWidth: beam)
        recommender.constrained = !unconstrained
        let outcome = try RankingEvaluator(split: prepared.split, batchSize: batch, userLimit: users)
            .evaluate(recommender, on: which, progress: { line in if !output.json { print(line) } })
        let result = Output(
            bundle: loaded.id, dataset: prepared.name, synthetic: prepared.isSynthetic, split: which.rawValue,
            users: outcome.users,
            beam: beam, constrained: !unconstrained, metrics: outcome.metrics, beams: recommender.beams,
            invalidBeams: recommender.invalidBeams, seconds: outcome.seconds,
            usersPerSecond: Double(outcome.users) / max(outcome.seconds, 1e-9))
        if let report {
            try ReportFile(path: report).append(
                .init(
                    model: "resid (\(generator.architecture.rawValue) generator)",
                    tokenizer: loaded.manifest.codes?.method ?? "?", dataset: prepared.name,
                    synthetic: prepared.isSynthetic,
                    configuration: "bundle \(loaded.id), beam \(beam)\(unconstrained ? ", no trie" : "")",
                    trainSeconds: 0, epochs: 0, split: which.rawValue, users: outcome.users, metrics: outcome.metrics,
                    notes: "train time and epochs are in the bundle's evaluation.json"))
        }
        if output.json {
            try printJSON(result)
        } else {
            print(
                ResultsReport.metricColumns.map { "\($0) \(String(format: "%.4f", outcome.metrics[$0] ?? 0))" }.joined(
                    separator: "  "))
            print(
                "\(outcome.users) users, invalid beams \(recommender.invalidBeams)/\(recommender.beams), \(String(format: "%.1f", result.usersPerSecond)) users/s"
            )
        }
    }
}
