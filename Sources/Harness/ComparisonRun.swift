import Data
public import Evaluation
import Foundation
public import Models
import Tensor
import Tokenizer
import Training

/// What `resid compare` does: trains each model under the same protocol, scores each on the test
/// split, appends the results rows to the report (Markdown + JSON) and draws the learning curves
/// (SVG).
///
/// Without ``budget`` every model trains until validation stops improving, so the table compares
/// converged models; with it, every model gets the same wall-clock budget. SID models share one
/// FAMAE (trained first) and differ in the quantiser and the generator (``sidModels``).
public struct ComparisonRun: Sendable {
    /// The SID models: `resid` is the default (causal) generator on GAOQ SIDs, `resid-t5` the
    /// paper's T5 generator on the same SIDs, and `rq-kmeans`, `hkmeans`, `random-sids` put the
    /// ``generator`` architecture on other SIDs.
    public static let sidModels = ["resid", "resid-t5", "rq-kmeans", "hkmeans", "random-sids"]
    /// Every model a comparison can train: MostPop (the floor), the ID models and the SID models.
    public static let knownModels = ["mostpop", "sasrec", "sasrec*"] + sidModels

    /// Dataset cache directory for ml-1m / ml-100k (default: the user's cache).
    public var cacheDirectory: String? = nil

    /// ml-1m, ml-100k or synthetic-ITEMS[-seedN].
    public var dataset: String

    /// The models to train and test, in the order given (names from ``knownModels``).
    public var models: [String]

    /// Generator architecture for rq-kmeans, hkmeans and random-sids.
    public var generator = GeneratorArchitecture.causal

    /// Training seconds per model (nil: each model trains until validation stops improving).
    public var budget: Double?

    /// The sequence models' training protocol.
    public var sequence = SequenceTrainingSettings()

    /// How the shared FAMAE trains.
    public var famae = FAMAETrainingSettings()

    /// Item vectors to quantise instead of training a FAMAE (a file an earlier comparison wrote).
    public var vectors: String?

    /// Test users (0: all).
    public var testUsers = 0

    /// Leave each user's earlier items out of validation and test rankings.
    public var excludeHistory = false

    /// GAOQ / k-means branching b1,b2 (nil: round(sqrt(items / 15)) each).
    public var branching: String?

    /// Markdown report to append rows to (JSON beside it, learning curves beside it too).
    public var report = "results.md"

    /// Directory for best weights, resume states and the shared FAMAE.
    public var checkpointDirectory: String?

    /// Continue an interrupted comparison from ``checkpointDirectory``.
    public var resume = false

    /// The command line as typed, noted in every row.
    public var command: String

    /// A comparison of `models` on `dataset`, noting `command` in its rows.
    public init(dataset: String, models: [String], command: String) {
        self.dataset = dataset
        self.models = models
        self.command = command
    }

    /// Trains and tests every model, appending each row to ``report`` as soon as it is scored.
    /// - Returns: the rows, in the order written.
    /// - Throws: ``InvalidSettings`` for vectors or a branching the run cannot use.
    public func run(log: @escaping (String) -> Void) throws -> [ResultsReport.Row] {
        // Each data-parallel worker runs its GEMMs on one OpenBLAS thread.
        BLAS.setThreads(1)
        let prepared = try DatasetName(name: dataset, cacheDir: cacheDirectory).prepare()
        log(
            "\(prepared.name)\(prepared.isSynthetic ? " (synthetic)" : ""): \(prepared.items.count) items, \(prepared.sequences.userCount) users, \(prepared.split.trainingWindowCount) training targets"
        )
        var training = sequence.configuration(budget: budget)
        training.resume = resume
        let (threads, seed, beam) = (sequence.threads, sequence.seed, sequence.beam)
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
            checkpointDirectory.map {
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
            try Foundation.Data(curves.svg.utf8).write(to: curvesURL, options: .atomic)
            let model = RecommenderSource(trainable)
            let outcome = try tester.evaluate(name: trainable.name, on: .test, progress: log) {
                try model.recommender()
            }
            return (trained, outcome)
        }

        if models.contains("mostpop") {
            let outcome = try tester.evaluate(MostPopular(split: prepared.split), on: .test, progress: log)
            try add(
                model: "mostpop", tokenizer: "-", configuration: "training-interaction counts", trained: nil,
                outcome: outcome)
        }
        for name in models where name.hasPrefix("sasrec") {
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
        let sidModels = models.filter { Self.sidModels.contains($0) }
        guard !sidModels.isEmpty else { return rows }
        let (vectors, famaeNote): (Tensor, String)
        if let path = self.vectors {
            let loaded = try SafeTensors.read(URL(fileURLWithPath: path))
            guard let table = loaded.tensors["vectors"], table.rank == 2, table.shape[0] == prepared.items.count,
                loaded.metadata["dataset"] == prepared.name
            else {
                throw InvalidSettings(
                    "--vectors \(path) must hold `vectors` [\(prepared.items.count), width] written for \(prepared.name)"
                )
            }
            (vectors, famaeNote) = (table, "FAMAE vectors from \((path as NSString).lastPathComponent)")
        } else {
            (vectors, famaeNote) = try sharedFAMAEVectors(prepared, directory: checkpoints("famae"), log: log)
        }
        let branching = try GAOQBranching(self.branching, items: prepared.items.count)
        for name in sidModels {
            let quantiseClock = Stopwatch()
            let table = try ComparisonQuantiser(name: name, branching: branching, seed: seed)
                .table(vectors, log: log)
            let quantiseSeconds = quantiseClock.elapsed
            let diagnostics = QuantizerDiagnostics(table)
            log(
                "\(name): levels \(table.levelSizes), \(diagnostics.distinctSIDs) distinct SIDs, \(diagnostics.collisions) collisions, H(c_l|c_<l) "
                    + diagnostics.levels.map { String(format: "%.2f", $0.conditionalEntropyBits) }.joined(
                        separator: "/") + " bits, fit \(String(format: "%.2f", quantiseSeconds)) s")
            let architecture: GeneratorArchitecture =
                name == "resid-t5" ? .t5 : name == "resid" ? .causal : generator
            var (t5, causal) = (SIDGeneratorConfiguration(), CausalGeneratorConfiguration())
            if let dropout = sequence.dropout { (t5.dropout, causal.dropout) = (dropout, dropout) }
            causal.softmaxOverTrie = sequence.softmaxOverTrie
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
        return rows
    }
}
