import ArgumentParser
import Data
import Evaluation
import Foundation
import Models
import Tensor
import Tokenizer
import Training

/// `resid compare --dataset NAME --models ... --budget S`: trains each model under the same
/// rules and the same wall-clock budget, scores each on the test split, and writes the
/// results table (Markdown + JSON).
///
/// SID models share one FAMAE (trained first, with its own stated budget) and differ only in
/// the quantiser: `resid` (GAOQ), `rq-kmeans`, `hkmeans`. ID models: `sasrec`, `sasrec*`.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Train and test ReSID vs baselines with one budget each; write a results table."
    )

    @Option(help: "ml-1m, ml-100k or synthetic-ITEMS[-seedN].")
    var dataset: String

    @Option(help: "Cache directory for ml-1m / ml-100k.")
    var cacheDir: String?

    @Option(help: "Comma-separated models: resid, rq-kmeans, hkmeans, random-sids, sasrec, sasrec*. random-sids is the GAOQ code tree with items assigned to its SIDs at random (an ablation: SIDs without semantics).")
    var models = "resid,rq-kmeans,hkmeans,sasrec,sasrec*"

    @Option(help: "Training seconds per model (the same for every model).")
    var budget: Double = 600

    @Option(help: "Training seconds for the shared FAMAE of the SID models.")
    var famaeBudget: Double = 300

    @Option(help: "Training windows per epoch, drawn at random each epoch (0: all windows).")
    var windowsPerEpoch = 0

    @Option(help: "Batch size for every model.")
    var batch = 2048

    @Option(help: "Validation users per check (0: all).")
    var validationUsers = 0

    @Option(help: "Test users (0: all).")
    var testUsers = 0

    @Option(help: "Beam width of the SID generator.")
    var beam = 50

    @Option(help: "GAOQ / k-means branching b1,b2 (default: round(sqrt(items / 15)) each).")
    var branching: String?

    @Option(help: "Markdown report to append rows to (JSON beside it).")
    var report = "results.md"

    @Option(help: "OpenBLAS threads.")
    var threads = 2

    @Option(help: "Peak AdamW learning rate of the sequence models (cosine schedule).")
    var learningRate: Float = SequenceTrainingConfiguration().learningRate

    @Option(help: "Seed.")
    var seed: UInt64 = 42

    @Flag(help: "Print the rows as JSON at the end.")
    var json = false

    func run() async throws {
        BLAS.setThreads(threads)
        let names = models.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let known = ["resid", "rq-kmeans", "hkmeans", "random-sids", "sasrec", "sasrec*"]
        if let bad = names.first(where: { !known.contains($0) }) {
            throw ValidationError("--models: unknown model '\(bad)'; choose from \(known.joined(separator: ", "))")
        }
        guard budget > 0, famaeBudget > 0, batch >= 1, beam >= 1, learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--budget, --famae-budget, --batch, --beam and --learning-rate must be positive")
        }
        let log: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let prepared = try DatasetName(name: dataset, cacheDir: cacheDir).prepare()
        log("\(prepared.name)\(prepared.isSynthetic ? " (synthetic)" : ""): \(prepared.items.count) items, \(prepared.sequences.userCount) users, \(prepared.split.trainingWindowCount) training windows")
        var training = SequenceTrainingConfiguration()
        training.batchSize = batch
        training.learningRate = learningRate
        training.timeBudgetSeconds = budget
        training.seed = seed
        training.windowSampling = windowsPerEpoch > 0 ? .randomPerEpoch(windowsPerEpoch) : .all
        training.validationUsers = validationUsers > 0 ? validationUsers : nil
        let sampling = windowsPerEpoch > 0 ? "\(windowsPerEpoch) random windows/epoch" : "all windows"
        let file = ReportFile(path: report)
        try FileManager.default.createDirectory(atPath: (report as NSString).deletingLastPathComponent.isEmpty ? "." : (report as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var rows: [ResultsReport.Row] = []

        func test(_ recommender: SequenceRecommender) throws -> RankingEvaluator.Outcome {
            try RankingEvaluator(split: prepared.split, batchSize: 64, userLimit: testUsers > 0 ? testUsers : nil).evaluate(recommender, on: .test, progress: log)
        }
        func add(model: String, tokenizer: String, configuration: String, report trained: SequenceTrainingReport, outcome: RankingEvaluator.Outcome, extraSeconds: Double = 0, notes: String) throws {
            let row = ResultsReport.Row(
                model: model, tokenizer: tokenizer, dataset: prepared.name, synthetic: prepared.isSynthetic,
                configuration: configuration + ", batch \(batch), lr \(learningRate), \(sampling), budget \(Int(budget)) s",
                trainSeconds: trained.trainingSeconds + extraSeconds, epochs: trained.epochs, split: "test", users: outcome.users,
                metrics: outcome.metrics, notes: "stop: \(trained.stopReason); \(notes)")
            rows.append(row)
            try file.append(row)
            log("\(model)/\(tokenizer): " + ResultsReport.metricColumns.map { "\($0) \(String(format: "%.4f", outcome.metrics[$0] ?? 0))" }.joined(separator: " "))
        }

        // SID models: one FAMAE, then each quantiser.
        let sidModels = names.filter { ["resid", "rq-kmeans", "hkmeans", "random-sids"].contains($0) }
        if !sidModels.isEmpty {
            let clock = Stopwatch()
            let famae = try FAMAEModel(configuration: FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: prepared.items)), catalog: FAMAEItemTableAdapter.catalog(of: prepared.items), seed: seed)
            var famaeTraining = FAMAETrainingConfiguration()
            famaeTraining.timeBudget = famaeBudget
            famaeTraining.batchSize = batch
            famaeTraining.seed = seed
            famaeTraining.sampling = training.windowSampling
            let famaeReport = try FAMAETrainer(model: famae, split: prepared.split, configuration: famaeTraining, progress: log).train()
            let famaeSeconds = clock.elapsed
            let vectors = famae.itemVectors()
            let famaeMetrics = try FAMAEEvaluator(batcher: FAMAESampleBatcher(split: prepared.split, catalog: famae.catalog, historyLength: famae.configuration.historyLength))
                .evaluate(famae, samples: prepared.split.validationSamples)
            log("FAMAE (best epoch \(famaeReport.bestEpoch), \(Int(famaeSeconds)) s): validation Metric1 R@10 \(String(format: "%.4f", famaeMetrics.metric1)) Metric2 R@10 \(String(format: "%.4f", famaeMetrics.metric2)) over \(famaeMetrics.collaborative.users) users")
            // The vectors every quantiser below sees, for `resid tokenize --vectors` diagnostics.
            let vectorsURL = URL(fileURLWithPath: report).deletingPathExtension().appendingPathExtension("\(prepared.name).famae-vectors.safetensors")
            try SafeTensors.write(["vectors": vectors], metadata: ["dataset": prepared.name, "synthetic": String(prepared.isSynthetic)], to: vectorsURL)
            log("FAMAE item vectors \(vectors.shape) written to \(vectorsURL.path)")
            let side = max(2, Int((Double(prepared.items.count) / 15).squareRoot().rounded()))
            let parts = (branching ?? "\(side),\(side)").split(separator: ",").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 >= 2 }) else { throw ValidationError("--branching must be b1,b2 with both at least 2") }
            for name in sidModels {
                let quantiseClock = Stopwatch()
                let table: SIDTable
                switch name {
                case "resid": table = try GAOQ(.init(b1: parts[0], b2: parts[1], seed: seed)).fit(vectors, progress: log).codebook.table
                case "rq-kmeans": table = try RQKMeans(.init(levelSizes: [parts[0], parts[1], parts[1]], seed: seed)).fit(vectors, progress: log).table
                case "random-sids":
                    // Same tree (balanced groups, same level sizes) as GAOQ, items shuffled over it.
                    let tree = try GAOQ(.init(b1: parts[0], b2: parts[1], seed: seed)).fit(vectors, progress: log).codebook.table
                    var codes = tree.codes
                    var random = SeededRandom(seed: UInt64(seed) &+ 17)
                    random.shuffle(&codes)
                    table = SIDTable(codes: codes, levelSizes: tree.levelSizes)
                default:
                    // The paper's Q2 ablation: GAOQ with local child indices at level 2.
                    var local = GAOQ.Configuration(b1: parts[0], b2: parts[1], seed: seed)
                    local.alignLevel2 = false
                    table = try GAOQ(local).fit(vectors, progress: log).codebook.table
                }
                let quantiseSeconds = quantiseClock.elapsed
                let diagnostics = QuantizerDiagnostics(table)
                log("\(name): levels \(table.levelSizes), \(diagnostics.distinctSIDs) distinct SIDs, \(diagnostics.collisions) collisions, H(c_l|c_<l) " + diagnostics.levels.map { String(format: "%.2f", $0.conditionalEntropyBits) }.joined(separator: "/") + " bits, fit \(String(format: "%.2f", quantiseSeconds)) s")
                let generator = try SIDGenerator(configuration: SIDGeneratorConfiguration(), vocabulary: GeneratorVocabulary(levelSizes: table.levelSizes), seed: seed)
                let trainable = try TrainableGenerator(name: "generator-\(name)", model: generator, table: table, beamWidth: beam)
                let trained = try SequenceTrainer(model: trainable, split: prepared.split, configuration: training, progress: log).train()
                let recommender = try trainable.recommender()
                let outcome = try test(recommender)
                let tokenizer = name == "resid" ? "gaoq" : name
                try add(
                    model: name == "resid" ? "resid (generator)" : "generator", tokenizer: tokenizer,
                    configuration: "T5 4+4 d128, levels \(table.levelSizes), beam \(beam)", report: trained, outcome: outcome,
                    extraSeconds: quantiseSeconds,
                    notes: "train time = generator + quantiser (\(Int(quantiseSeconds)) s); shared FAMAE took \(Int(famaeSeconds)) s more (best epoch \(famaeReport.bestEpoch), stop \(famaeReport.stopReason))")
            }
        }
        for name in names where name.hasPrefix("sasrec") {
            let trainable = try TrainableSASRec(configuration: SASRecConfiguration(), items: prepared.items, withFields: name == "sasrec*", seed: seed)
            let trained = try SequenceTrainer(model: trainable, split: prepared.split, configuration: training, progress: log).train()
            let outcome = try test(trainable)
            try add(model: name, tokenizer: "-", configuration: "d128 2L 4H causal, full softmax", report: trained, outcome: outcome, notes: "")
        }
        if json { try printJSON(rows) }
        log("report: \(report)")
    }
}
