import ArgumentParser
import Data
import Evaluation
import Foundation
import Models
import Tensor
import Tokenizer
import Training

/// `resid compare --dataset NAME --models ...`: trains each model under the same protocol, scores
/// each on the test split, and writes the results table (Markdown + JSON) and the learning
/// curves (SVG).
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

    static let sidModels = ["resid", "resid-t5", "rq-kmeans", "hkmeans", "random-sids"]
    static let knownModels = ["mostpop", "sasrec", "sasrec*"] + sidModels

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
        // Each data-parallel worker runs its GEMMs on one OpenBLAS thread.
        BLAS.setThreads(1)
        let names = modelNames
        let log: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let prepared = try DatasetName(name: dataset, cacheDir: dataCache.directory).prepare()
        log(
            "\(prepared.name)\(prepared.isSynthetic ? " (synthetic)" : ""): \(prepared.items.count) items, \(prepared.sequences.userCount) users, \(prepared.split.trainingWindowCount) training targets"
        )
        var training = sequence.configuration(budget: budget)
        training.resume = resume
        let (threads, seed, beam) = (sequence.threads, sequence.seed, sequence.beam)
        let command = "resid " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let protocolLine = sequence.protocolLine(budget: budget) + (excludeHistory ? ", earlier items excluded" : "")
        let file = ReportFile(path: report)
        let reportBase = URL(fileURLWithPath: report).deletingPathExtension()
        try FileManager.default.createDirectory(
            at: reportBase.deletingLastPathComponent(), withIntermediateDirectories: true)
        var curves = LearningCurves(
            title: "\(prepared.name): validation Recall@10 against training time (\(threads) threads)")
        let curvesURL = reportBase.appendingPathExtension("\(prepared.name).curves.svg")
        var rows: [ResultsReport.Row] = []
        let tester = RankingEvaluator(
            split: prepared.split, batchSize: 64, userLimit: testUsers > 0 ? testUsers : nil, threads: threads,
            excludeHistory: excludeHistory)

        func checkpoints(_ model: String) -> String? {
            checkpointDir.map {
                URL(fileURLWithPath: $0).appendingPathComponent(prepared.name).appendingPathComponent(model).path
            }
        }
        func add(
            model: String, tokenizer: String, configuration: String, trained: SequenceTrainingReport?,
            outcome: RankingEvaluator.Outcome, extraSeconds: Double = 0, notes: String = ""
        ) throws {
            var details = ["command: `\(command)`"]
            if let trained {
                let kept = trained.bestValidation >= 0 ? trained.validations[trained.bestValidation] : nil
                details.insert(
                    "\(trained.totalSteps) steps, stop: \(trained.stopReason), best validation at epoch \(String(format: "%.2f", kept?.epoch ?? 0)) (R@10 \(String(format: "%.4f ± %.4f", kept?.recall10 ?? 0, kept?.recall10Error ?? 0)))",
                    at: 0)
            }
            if !notes.isEmpty { details.insert(notes, at: 0) }
            let row = ResultsReport.Row(
                model: model, tokenizer: tokenizer, dataset: prepared.name, synthetic: prepared.isSynthetic,
                configuration: configuration + ", " + protocolLine,
                trainSeconds: (trained?.trainingSeconds ?? 0) + extraSeconds, epochs: trained?.epochs ?? 0,
                split: "test", users: outcome.users,
                metrics: outcome.metrics, notes: details.joined(separator: "; "))
            rows.append(row)
            try file.append(row)
            log(
                "\(model)/\(tokenizer) test: \(outcome.ranking.formatted(recallAt: 10)) \(outcome.ranking.formatted(ndcgAt: 10)) over \(outcome.users) users"
            )
        }
        func trainAndTest<Model: SequenceTrainable>(
            _ trainable: Model, checkpoint: String
        ) throws -> (SequenceTrainingReport, RankingEvaluator.Outcome) {
            var settings = training
            settings.checkpointDirectory = checkpoints(checkpoint)
            let trainer = SequenceTrainer(
                model: trainable, split: prepared.split, configuration: settings, progress: log)
            trainer.excludeHistory = excludeHistory
            let trained = try trainer.train()
            curves.series.append(
                .init(
                    name: trainable.name,
                    points: trained.validations.map { ($0.seconds, $0.recall10, $0.recall10Error) }))
            try Data(curves.svg.utf8).write(to: curvesURL, options: .atomic)
            let model = RecommenderSource(trainable)
            let outcome = try tester.evaluate(name: trainable.name, on: .test, progress: log) {
                try model.recommender()
            }
            return (trained, outcome)
        }

        if names.contains("mostpop") {
            let outcome = try tester.evaluate(MostPopular(split: prepared.split), on: .test, progress: log)
            try add(
                model: "mostpop", tokenizer: "-", configuration: "training-interaction counts", trained: nil,
                outcome: outcome)
        }
        for name in names where name.hasPrefix("sasrec") {
            var sasrec = SASRecConfiguration()
            if let dropout = sequence.dropout { sasrec.dropout = dropout }
            let trainable = try TrainableSASRec(
                configuration: sasrec, items: prepared.items, withFields: name == "sasrec*", seed: seed)
            let (trained, outcome) = try trainAndTest(trainable, checkpoint: name == "sasrec*" ? "sasrec-fields" : name)
            try add(
                model: name, tokenizer: "-", configuration: "d128 2L 4H causal, every position, full softmax",
                trained: trained, outcome: outcome)
        }

        // SID models: one FAMAE, then each quantiser and generator.
        let sidModels = names.filter { Self.sidModels.contains($0) }
        guard !sidModels.isEmpty else { return finish(rows, log: log) }
        let (vectors, famaeNote): (Tensor, String)
        if let path = self.vectors {
            let loaded = try SafeTensors.read(URL(fileURLWithPath: path))
            guard let table = loaded.tensors["vectors"], table.rank == 2, table.shape[0] == prepared.items.count,
                loaded.metadata["dataset"] == prepared.name
            else {
                throw ValidationError(
                    "--vectors \(path) must hold `vectors` [\(prepared.items.count), width] written for \(prepared.name)"
                )
            }
            (vectors, famaeNote) = (table, "FAMAE vectors from \((path as NSString).lastPathComponent)")
        } else {
            (vectors, famaeNote) = try famaeVectors(prepared, directory: checkpoints("famae"), log: log)
        }
        let side = max(2, Int((Double(prepared.items.count) / 15).squareRoot().rounded()))
        let parts = (branching ?? "\(side),\(side)").split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 >= 2 }) else {
            throw ValidationError("--branching must be b1,b2 with both at least 2")
        }
        for name in sidModels {
            let quantiseClock = Stopwatch()
            let table = try quantise(name, vectors: vectors, b1: parts[0], b2: parts[1], log: log)
            let quantiseSeconds = quantiseClock.elapsed
            let diagnostics = QuantizerDiagnostics(table)
            log(
                "\(name): levels \(table.levelSizes), \(diagnostics.distinctSIDs) distinct SIDs, \(diagnostics.collisions) collisions, H(c_l|c_<l) "
                    + diagnostics.levels.map { String(format: "%.2f", $0.conditionalEntropyBits) }.joined(
                        separator: "/") + " bits, fit \(String(format: "%.2f", quantiseSeconds)) s")
            let architecture: GeneratorArchitecture =
                name == "resid-t5" ? .t5 : name == "resid" ? .causal : GeneratorArchitecture(rawValue: generator)!
            var (t5, causal) = (SIDGeneratorConfiguration(), CausalGeneratorConfiguration())
            if let dropout = sequence.dropout { (t5.dropout, causal.dropout) = (dropout, dropout) }
            let trainable = try GeneratorTraining.trainable(
                architecture, t5: t5, causal: causal,
                vocabulary: GeneratorVocabulary(levelSizes: table.levelSizes), table: table,
                name: "\(name)-\(architecture.rawValue)", beamWidth: beam, seed: seed)
            let (trained, outcome) = try trainAndTest(trainable, checkpoint: "\(name)-\(architecture.rawValue)")
            let sizes = architecture == .t5 ? "T5 4+4 d128" : "causal 4L d128"
            try add(
                model: name.hasPrefix("resid")
                    ? "resid (\(architecture.rawValue))" : "\(architecture.rawValue) generator",
                tokenizer: name.hasPrefix("resid") ? "gaoq" : name,
                configuration: "\(sizes), levels \(table.levelSizes), beam \(beam)", trained: trained, outcome: outcome,
                extraSeconds: quantiseSeconds,
                notes: "train time = generator + quantiser (\(Int(quantiseSeconds)) s); \(famaeNote)")
        }
        finish(rows, log: log)
    }

    private func finish(_ rows: [ResultsReport.Row], log: (String) -> Void) {
        if output.json { try? printJSON(rows) }
        log("report: \(report)")
    }

    /// The shared FAMAE's item vectors: trained here (saved with `--checkpoint-dir`, its training
    /// resumable at each epoch), or loaded when resuming after it finished.
    private func famaeVectors(
        _ prepared: PreparedDataset, directory: String?, log: @escaping (String) -> Void
    ) throws -> (Tensor, String) {
        let saved = directory.map { URL(fileURLWithPath: $0).appendingPathComponent("famae.safetensors") }
        if resume, let saved, FileManager.default.fileExists(atPath: saved.path) {
            let famae = try FAMAEModel.load(from: saved)
            log("FAMAE: loaded \(saved.path)")
            return (famae.itemVectors(), "shared FAMAE loaded from \(saved.lastPathComponent)")
        }
        let (famae, famaeReport, famaeMetrics, famaeSeconds) = try self.famae.train(
            items: prepared.items, split: prepared.split, threads: sequence.threads, seed: sequence.seed,
            checkpointDirectory: directory, resume: resume, log: log)
        let vectors = famae.itemVectors()
        if let saved {
            try FileManager.default.createDirectory(
                at: saved.deletingLastPathComponent(), withIntermediateDirectories: true)
            try famae.save(to: saved, metadata: ["dataset": prepared.name])
        }
        // The vectors every quantiser sees, for `resid tokenize --vectors` diagnostics.
        let vectorsURL = URL(fileURLWithPath: report).deletingPathExtension().appendingPathExtension(
            "\(prepared.name).famae-vectors.safetensors")
        try SafeTensors.write(
            ["vectors": vectors], metadata: ["dataset": prepared.name, "synthetic": String(prepared.isSynthetic)],
            to: vectorsURL)
        let note =
            "shared FAMAE took \(Int(famaeSeconds)) s more (best epoch \(famaeReport.bestEpoch), stop \(famaeReport.stopReason), validation Metric1 R@10 \(String(format: "%.4f", famaeMetrics.metric1)), Metric2 R@10 \(String(format: "%.4f", famaeMetrics.metric2)))"
        return (vectors, note)
    }

    /// The SID table of quantiser `name` over `vectors`.
    private func quantise(
        _ name: String, vectors: Tensor, b1: Int, b2: Int, log: @escaping (String) -> Void
    ) throws -> SIDTable {
        switch name {
        case "resid", "resid-t5":
            return try GAOQ(.init(b1: b1, b2: b2, seed: sequence.seed)).fit(vectors, progress: log).codebook.table
        case "rq-kmeans":
            return try RQKMeans(.init(levelSizes: [b1, b2, b2], seed: sequence.seed)).fit(vectors, progress: log).table
        case "random-sids":
            // Same tree (balanced groups, same level sizes) as GAOQ, items shuffled over it.
            let tree = try GAOQ(.init(b1: b1, b2: b2, seed: sequence.seed)).fit(vectors, progress: log).codebook.table
            var codes = tree.codes
            var random = SeededRandom(seed: UInt64(sequence.seed) &+ 17)
            random.shuffle(&codes)
            return SIDTable(codes: codes, levelSizes: tree.levelSizes)
        default:
            // The paper's Q2 ablation: GAOQ with local child indices at level 2.
            var local = GAOQ.Configuration(b1: b1, b2: b2, seed: sequence.seed)
            local.alignLevel2 = false
            return try GAOQ(local).fit(vectors, progress: log).codebook.table
        }
    }
}
