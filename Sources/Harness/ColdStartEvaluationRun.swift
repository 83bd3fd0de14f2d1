import Data
import Evaluation
import Foundation
import Inference
import Models
import Tensor
import Tokenizer
import Training

/// What `resid evaluate-coldstart` does: how well new items get recommended.
///
/// A time-based split (``ColdStartSplit``): items first seen after the cut-off are new and take
/// no part in FAMAE, GAOQ or generator training. They then enter as the daemon takes them:
/// fields only → FAMAE cold-start vector → GAOQ online placement → level-3 claim (the
/// in-process claimer, the same rule as the Redis script), in order of first appearance. Every
/// event after the cut-off is predicted from the user's earlier events.
///
/// Methods: ReSID (the causal generator, each ``ColdItemScoring`` of new items' last code;
/// the one with the best new-item Recall@10 on the selection users is the one reported as
/// ReSID, then blended with new items' online popularity at the weight, 0 included, that the
/// selection users rank best), SASRec* scoring new items by their field embeddings alone,
/// popularity among new items counted only before each prediction, and random new items.
/// New-item targets are ranked over the whole catalogue and over the new items alone, for
/// every method.
public struct ColdStartEvaluationRun: Sendable {
    /// The scorings of new items' last code compared on the selection users.
    static let scorings: [ColdItemScoring] = [
        .groupMean, .generator, .groupMeanSplitByGenerator(exponent: 1), .groupMeanSplitByGenerator(exponent: 0.5),
    ]
    /// The online-popularity weights tried with the chosen scoring (0, the generator alone, is
    /// the chosen scoring's own figure); see ``GeneratorColdStartRecommender/PopularityBlend``.
    static let popularityWeights: [Float] = [0.5, 1, 2, 4, 8, 16, 32]

    /// Dataset cache directory for ml-1m / ml-100k (default: the user's cache).
    public var cacheDirectory: String? = nil

    /// ml-1m, ml-100k or synthetic-ITEMS[-seedN].
    public var dataset: String

    /// Share of the catalogue that is new: the cut-off time is where the items first seen after
    /// it are this share.
    public var newItemShare = 0.05

    /// Training seconds per sequence model, and for the FAMAE unless its own budget is set.
    public var budget = 300.0

    /// The sequence models' training protocol.
    public var sequence = SequenceTrainingSettings()

    /// How the FAMAE trains on the warm items.
    public var famae = FAMAETrainingSettings()

    /// GAOQ branching b1,b2 (nil: round(sqrt(warm items / 15)) each).
    public var branching: String?

    /// Share of users whose held-out events choose ReSID's scoring of new items; the rest are
    /// the test.
    public var selectionShare = 0.3

    /// Most held-out events with a warm target scored per part, drawn at random (0: all).
    public var maxWarmEvents = 3_000

    /// The command line as typed, recorded in the report.
    public var command: String

    /// An evaluation on `dataset` with the defaults of `resid evaluate-coldstart`.
    public init(dataset: String, command: String) {
        self.dataset = dataset
        self.command = command
    }

    /// One method's figures on the test users.
    public struct Method: Codable, Sendable {
        public var name: String
        public var test: [String: Double]
    }

    /// What `resid evaluate-coldstart --json` prints.
    public struct Report: Codable, Sendable {
        public var dataset: String
        public var synthetic: Bool
        public var command: String
        public var cutoff: String
        public var warmItems: Int
        public var newItems: Int
        public var heldOutEvents: Int
        public var selectionEvents: Int
        public var testEvents: Int
        public var threads: Int
        public var budgetSeconds: Double
        public var famae: String
        public var levels: [Int]
        public var spilledNewItems: Int
        public var overflowNewItems: Int
        public var generator: String
        public var sasrec: String
        /// New-item figures of every scoring on the selection users.
        public var selection: [String: [String: Double]]
        public var chosenScoring: String
        public var methods: [Method]
    }

    /// Splits the dataset, trains on the warm items, brings the new items in through the online
    /// path, chooses ReSID's scoring on the selection users and scores every method on the test
    /// users; progress goes to `log`.
    /// - Throws: ``InvalidSettings`` for a branching the run cannot use.
    public func run(log: @escaping (String) -> Void) async throws -> Report {
        BLAS.setThreads(1)
        let name = DatasetName(name: dataset, cacheDir: cacheDirectory)
        let raw = try name.load()
        let prepared = try Preprocessor().prepare(raw)
        let split = try ColdStartSplit(dataset: raw, prepared: prepared, newItemShare: newItemShare)
        let cutoffDate = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: split.cutoff))
        log(
            "\(prepared.name): cut-off \(cutoffDate); \(split.warmCount) warm items, \(split.newItems.count) new; \(split.heldOut.count) held-out events, \(split.heldOut.filter { split.isNew(split.target($0)) }.count) with a new target"
        )
        let (threads, seed) = (sequence.threads, sequence.seed)

        // E and Q stages on the warm items only.
        var famaeSettings = famae
        famaeSettings.budget = famae.budget ?? budget
        let trained = try famaeSettings.train(
            items: split.warmItems, split: split.warmSplit, threads: threads, seed: seed, log: log)
        let branching = try GAOQBranching(self.branching, items: split.warmCount)
        let codebook = try GAOQ(.init(b1: branching.b1, b2: branching.b2, seed: seed)).fit(
            trained.model.itemVectors(), progress: log
        ).codebook

        // New items through the online path.
        let online = try await NewItemAssignment(split: split, famae: trained.model, codebook: codebook).assign()
        log(
            "online assignment: \(split.newItems.count) new items, \(online.spilled) spilled to a sibling group, \(online.overflow) on overflow codes"
        )
        let levelSizes = [codebook.b1, codebook.b2, max(codebook.g3, (online.sids.map(\.c3).max() ?? 0) + 1)]
        let warmTable = SIDTable(codes: codebook.itemSIDs.map(\.codes), levelSizes: levelSizes)
        let fullTable = SIDTable(codes: warmTable.codes + online.sids.map(\.codes), levelSizes: levelSizes)

        // G stage and SASRec* on the events up to the cut-off.
        let settings = sequence.configuration(budget: budget)
        var causal = CausalGeneratorConfiguration()
        causal.softmaxOverTrie = sequence.softmaxOverTrie
        let generator = try GeneratorTraining.trainable(
            .causal, t5: SIDGeneratorConfiguration(), causal: causal,
            vocabulary: GeneratorVocabulary(levelSizes: levelSizes), table: warmTable, name: "resid-causal",
            beamWidth: sequence.beam, seed: seed)
        let generatorReport = try GeneratorTraining.train(
            generator, split: split.warmSplit, configuration: settings, progress: log)
        let sasrec = try TrainableSASRec(
            configuration: SASRecConfiguration(), items: split.warmItems, withFields: true, seed: seed)
        let sasrecReport = try SequenceTrainer(
            model: sasrec, split: split.warmSplit, configuration: settings, progress: log
        ).train()

        // Held-out events: selection users choose the scoring, the others are the test.
        var users = Array(0..<split.sequences.userCount)
        var random = SeededRandom(seed: seed &+ 101)
        random.shuffle(&users)
        let selectionUsers = Set(users.prefix(Int(Double(users.count) * selectionShare)))
        func capped(_ events: [SampleReference]) -> [SampleReference] {
            var warm = events.filter { !split.isNew(split.target($0)) }
            guard maxWarmEvents > 0, warm.count > maxWarmEvents else { return events }
            random.shuffle(&warm)
            return events.filter { split.isNew(split.target($0)) } + warm.prefix(maxWarmEvents)
        }
        let selectionEvents = capped(split.heldOut.filter { selectionUsers.contains(Int($0.user)) })
        let testEvents = capped(split.heldOut.filter { !selectionUsers.contains(Int($0.user)) })
        func evaluator(_ events: [SampleReference]) -> ColdStartEvaluator {
            ColdStartEvaluator(
                split: split, events: events, historyLimit: prepared.split.historyLimit, threads: threads)
        }
        let model = SharedGeneratorModel(generator.generatorModel)
        let (warmCount, beam) = (split.warmCount, sequence.beam)
        let counts = NewItemCounts(split: split)
        @Sendable func label(_ scoring: ColdItemScoring, _ weight: Float, relative: Bool) -> String {
            let taste = relative ? "\(scoring.name) relative to the typical user" : scoring.name
            return weight == 0 ? taste : "\(taste) × popularity^\(weight)"
        }
        // The generator's view of the typical user, from the histories of (at most 1,000)
        // selection events: never a test user's.
        var typical: [Float] = []
        func resid(
            _ scoring: ColdItemScoring, weight: Float = 0, relative: Bool = false
        ) -> @Sendable () throws -> any ColdStartRecommender {
            let typical = relative ? typical : nil
            return {
                try GeneratorColdStartRecommender(
                    name: "resid (\(label(scoring, weight, relative: relative)))", model: model.value,
                    table: fullTable, warmCount: warmCount, beamWidth: beam, scoring: scoring,
                    popularity: weight == 0
                        ? nil : .init(counts: counts, weight: weight, typicalLogProbabilities: typical))
            }
        }

        var selection: [String: [String: Double]] = [:]
        // Best new-target Recall@10 over the whole catalogue; ties (often all zero with short
        // training) to Recall@10 among new items, then NDCG@10 over the whole catalogue.
        var best: (scoring: ColdItemScoring, weight: Float, relative: Bool, key: [Double])?
        let newCount = split.newItems.count
        func select(_ scoring: ColdItemScoring, weight: Float, relative: Bool = false) throws {
            let tally = try evaluator(selectionEvents).evaluate(resid(scoring, weight: weight, relative: relative))
            let name = label(scoring, weight, relative: relative)
            selection[name] = tally.summary(newItems: newCount)
            let key = [
                tally.newTargets.recall(at: 10), tally.newTargetsAmongNewItems.recall(at: 10),
                tally.newTargets.ndcg(at: 10),
            ]
            log(
                "selection, \(name): new-target \(tally.newTargets.formatted(recallAt: 10)) \(tally.newTargets.formatted(ndcgAt: 10)); among new items \(tally.newTargetsAmongNewItems.formatted(recallAt: 10))"
            )
            if best.map({ key.lexicographicallyPrecedes($0.key) == false && key != $0.key }) ?? true {
                best = (scoring, weight, relative, key)
            }
        }
        for scoring in Self.scorings { try select(scoring, weight: 0) }
        let chosen = best?.scoring ?? .groupMean
        for weight in Self.popularityWeights { try select(chosen, weight: weight) }
        var reference = selectionEvents
        random.shuffle(&reference)
        typical = try GeneratorColdStartRecommender(
            name: "typical user", model: model.value, table: fullTable, warmCount: warmCount, beamWidth: beam,
            scoring: chosen
        ).typicalNewItemLogProbabilities(
            reference.prefix(1_000).map { split.history($0, limit: prepared.split.historyLimit) })
        for weight in Self.popularityWeights { try select(chosen, weight: weight, relative: true) }
        let (chosenWeight, chosenRelative) = (best?.weight ?? 0, best?.relative ?? false)
        let chosenLabel = label(chosen, chosenWeight, relative: chosenRelative)

        var methods: [Method] = []
        func test(_ name: String, _ make: @escaping @Sendable () throws -> any ColdStartRecommender) throws {
            let tally = try evaluator(testEvents).evaluate(make)
            methods.append(Method(name: name, test: tally.summary(newItems: newCount)))
            log(
                "test, \(name): new-target \(tally.newTargets.formatted(recallAt: 10)) \(tally.newTargets.formatted(ndcgAt: 10)); among new items \(tally.newTargetsAmongNewItems.formatted(recallAt: 10)) \(tally.newTargetsAmongNewItems.formatted(ndcgAt: 10)); warm \(tally.warmTargets.formatted(recallAt: 10)); new items in a top-10: \(tally.recommendedNewItems.count) of \(newCount)"
            )
        }
        try test(
            "resid (\(chosenLabel), chosen on selection users)",
            resid(chosen, weight: chosenWeight, relative: chosenRelative))
        if chosenWeight != 0 { try test("resid (\(chosen.name))", resid(chosen)) }
        // The other blend at the same weight, for the comparison.
        if chosenWeight != 0 {
            try test(
                "resid (\(label(chosen, chosenWeight, relative: !chosenRelative)))",
                resid(chosen, weight: chosenWeight, relative: !chosenRelative))
        }
        for scoring in Self.scorings where scoring != chosen { try test("resid (\(scoring.name))", resid(scoring)) }
        let coldFields = split.newItems.map {
            Array(split.warmItems.encode(key: $0.key, values: $0.values).dropFirst())
        }
        let sasrecModel = sasrec.model
        try test("sasrec* (fields only for new items)") {
            SASRecColdStartRecommender(model: sasrecModel, coldItemFields: coldFields)
        }
        try test("popularity among new items (before each prediction)") { NewItemPopularity(split: split) }
        let randomSeed = seed
        try test("random new item") { RandomNewItems(split: split, seed: randomSeed) }

        func describe(_ report: SequenceTrainingReport) -> String {
            let kept = report.bestValidation >= 0 ? report.validations[report.bestValidation] : nil
            return
                "\(report.totalSteps) steps, \(truncatedDecimal(report.epochs, digits: 1)) epochs in \(Int(report.trainingSeconds)) s, stop \(report.stopReason), kept validation R@10 \(truncatedDecimal(kept?.recall10 ?? 0, digits: 4))"
        }
        return Report(
            dataset: prepared.name, synthetic: prepared.isSynthetic, command: command,
            cutoff: cutoffDate, warmItems: split.warmCount, newItems: newCount,
            heldOutEvents: split.heldOut.count, selectionEvents: selectionEvents.count, testEvents: testEvents.count,
            threads: threads, budgetSeconds: budget,
            famae:
                "best epoch \(trained.report.bestEpoch) in \(Int(trained.seconds)) s, validation Metric1 R@10 \(truncatedDecimal(trained.metrics.metric1, digits: 4)), Metric2 R@10 \(truncatedDecimal(trained.metrics.metric2, digits: 4))",
            levels: levelSizes, spilledNewItems: online.spilled, overflowNewItems: online.overflow,
            generator: describe(generatorReport), sasrec: describe(sasrecReport),
            selection: selection, chosenScoring: chosenLabel, methods: methods)
    }
}
