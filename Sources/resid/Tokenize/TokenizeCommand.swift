import ArgumentParser
import Bundle
import Data
import Foundation
import Inference
import Models
import Tensor
import Tokenizer

/// `resid tokenize`: fits a quantiser to item vectors and writes the items' SIDs, a JSON summary
/// with diagnostics and fit time, and the codebook.
///
/// Input is either a safetensors file with a `vectors` tensor `[items, D]` (row i = item i, from
/// `resid train famae` or any other encoder) or a model bundle, whose FAMAE item vectors are
/// used. With `--dataset` the summary adds the paper's Table 9 measure: how often a test
/// target shares codes with its history.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Quantise item vectors into Semantic IDs (GAOQ or a baseline) and report diagnostics."
    )

    enum Method: String, ExpressibleByArgument, CaseIterable, Codable {
        case gaoq, rqkmeans, hkmeans
    }

    @Option(
        help:
            "Quantiser: gaoq, rqkmeans (residual k-means + collision suffix) or hkmeans (hierarchical k-means with local child indices)."
    )
    var method: Method = .gaoq

    @Option(help: "safetensors file holding a Float tensor 'vectors' of shape [items, dimension].")
    var vectors: String?

    @Option(help: "Instead of --vectors: a model bundle directory; its FAMAE item vectors are tokenized.")
    var bundle: String?

    @Option(
        help:
            "Dataset the vectors' rows belong to (ml-1m, ml-100k, synthetic-N[-seedS]): adds the target-vs-history code overlap on its test split."
    )
    var dataset: String?

    @OptionGroup var dataCache: DatasetCacheOptions

    @Option(help: "Branching b1,b2 (default: 32,40 below 100k items, 128,128 from 100k; RQ-KMeans uses b1,b2,b2).")
    var levels: String?

    @Option(help: "Seed for every random choice of the fit.")
    var seed: UInt64 = 42

    @Option(help: "Threads for per-parent work and OpenBLAS.")
    var workers = 2

    @Option(help: "Output directory (created if missing).")
    var out: String

    @OptionGroup var output: JSONOutputOptions

    struct Summary: Codable {
        var method: Method
        var vectors: String
        var items: Int
        var dimension: Int
        var levelSizes: [Int]
        var seed: UInt64
        var fitSeconds: Double
        var stageSeconds: GAOQ.StageTimes?
        var diagnostics: QuantizerDiagnostics
        /// Table 9 of the paper on the test split of `--dataset`.
        var historyOverlap: HistoryOverlap?
        var files: [String]
    }

    /// Parses `--levels b1,b2`, or picks the default for the catalogue size.
    static func parseLevels(_ text: String?, items: Int) throws -> (Int, Int) {
        guard let text else {
            if items >= 100_000 { return (128, 128) }
            if items >= 10_000 { return (32, 40) }
            // Small catalogues: b1 = b2 with b1 * b2 about 15x below the item count.
            let side = max(2, Int((Double(items) / 15).squareRoot()))
            return (side, side)
        }
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let b1 = parts[0], let b2 = parts[1], b1 >= 1, b2 >= 1 else {
            throw ValidationError("--levels: expected two positive integers 'b1,b2' (for example 32,40), got '\(text)'")
        }
        return (b1, b2)
    }

    func run() async throws {
        BLAS.setThreads(max(workers, 1))
        let log: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let (matrix, source) = try loadVectors()
        let sequences = try dataset.map { try testSequences(dataset: $0, items: matrix.shape[0]) }
        let (b1, b2) = try Self.parseLevels(levels, items: matrix.shape[0])
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        log(
            "tokenize: \(method.rawValue) on \(matrix.shape[0]) x \(matrix.shape[1]) vectors from \(source), levels \(b1),\(b2), seed \(seed)"
        )

        let table: SIDTable
        let seconds: Double
        var stages: GAOQ.StageTimes?
        var files = ["sids.csv", "summary.json"]
        switch method {
        case .gaoq, .hkmeans:
            var config = GAOQ.Configuration(b1: b1, b2: b2, seed: seed, workers: workers)
            config.alignLevel2 = method == .gaoq
            let fit = try GAOQ(config).fit(matrix, progress: log)
            table = fit.codebook.table
            seconds = fit.times.total
            stages = fit.times
            try fit.codebook.save(to: directory.appendingPathComponent("\(method.rawValue).safetensors"))
            files.append("\(method.rawValue).safetensors")
        case .rqkmeans:
            let fit = try RQKMeans(.init(levelSizes: [b1, b2, b2], seed: seed)).fit(matrix, progress: log)
            table = fit.table
            seconds = fit.seconds
            var tensors: [String: Tensor] = [:]
            for (level, codebook) in fit.codebooks.enumerated() { tensors["level\(level + 1).centroids"] = codebook }
            try SafeTensors.write(
                tensors, metadata: ["format": "resid-rqkmeans/1"],
                to: directory.appendingPathComponent("rqkmeans.safetensors"))
            files.append("rqkmeans.safetensors")
        }

        try Self.writeCSV(table, to: directory.appendingPathComponent("sids.csv"))
        let summary = Summary(
            method: method, vectors: source, items: matrix.shape[0], dimension: matrix.shape[1],
            levelSizes: table.levelSizes, seed: seed, fitSeconds: seconds, stageSeconds: stages,
            diagnostics: QuantizerDiagnostics(table),
            historyOverlap: sequences.map { HistoryOverlap(table, sequences: $0) },
            files: files
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: directory.appendingPathComponent("summary.json"))
        if output.json {
            try printJSON(summary)
        } else {
            print(
                "\(method.rawValue): \(summary.items) items, levels \(table.levelSizes), \(summary.diagnostics.distinctSIDs) distinct SIDs, \(summary.diagnostics.collisions) collisions, fit \(String(format: "%.2f", seconds)) s; wrote \(files.joined(separator: ", ")) to \(out)"
            )
        }
    }

    /// The `[items, D]` matrix to tokenize and a description of where it came from.
    private func loadVectors() throws -> (Tensor, String) {
        switch (vectors, bundle) {
        case let (path?, nil):
            let matrix = try SafeTensors.read(URL(fileURLWithPath: path)).tensor("vectors")
            guard matrix.rank == 2 else {
                throw ValidationError(
                    "--vectors: tensor 'vectors' in \(path) must be [items, dimension], got shape \(matrix.shape)")
            }
            return (matrix, path)
        case let (nil, path?):
            let opened = try ModelBundle(directory: URL(fileURLWithPath: path, isDirectory: true))
            let famae = try FAMAEModel.load(from: opened.url(BundleFiles.famae))
            return (famae.itemVectors(), "\(path) (FAMAE item vectors)")
        default:
            throw ValidationError("give exactly one input: --vectors FILE or --bundle DIR")
        }
    }

    /// Each test user's history followed by the held-out target, as item indices.
    private func testSequences(dataset name: String, items: Int) throws -> [[Int]] {
        let prepared = try DatasetName(name: name, cacheDir: dataCache.directory).prepare()
        guard prepared.items.count == items else {
            throw ValidationError(
                "--dataset \(name) has \(prepared.items.count) items but the vectors have \(items) rows; pass the dataset the vectors were trained on"
            )
        }
        let split = prepared.split
        return split.testSamples.map { sample in split.history(sample).map(Int.init) + [Int(split.target(sample))] }
    }

    /// `item,c1,c2,c3[,c4]`, one row per item index.
    static func writeCSV(_ table: SIDTable, to url: URL) throws {
        var text = "item," + (1...table.levels).map { "c\($0)" }.joined(separator: ",") + "\n"
        for (item, codes) in table.codes.enumerated() {
            text += "\(item)," + codes.map(String.init).joined(separator: ",") + "\n"
        }
        try Data(text.utf8).write(to: url)
    }
}
