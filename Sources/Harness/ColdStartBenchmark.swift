import Data
import Foundation
import Inference
import Models
import Tensor
import Tokenizer
import Training

/// What `resid bench coldstart` measures: the online item path on one core (OpenBLAS threads 1):
/// raw field values → FAMAE cold-start vector → SID claimed against a frozen GAOQ codebook.
///
/// New items are catalogue items' raw values under fresh keys, so `item_id` is unknown and
/// predicted exactly as for a real new item. Latency is measured one item per call (encode +
/// assign); throughput one micro-batch per call; the report gives both and their ratio, and
/// where the new items of both passes landed: on trained level-3 codes of their own group, spilled
/// to a sibling group's trained code, or on overflow codes.
public struct ColdStartBenchmark {
    /// Dataset cache directory (default: the user's cache).
    public var cacheDirectory: String? = nil

    /// ml-1m, ml-100k or synthetic-ITEMS[-seedN]: the item table (vocabularies) and, without
    /// --model, the training data.
    public var dataset = "synthetic-3000"

    /// A famae.safetensors from `resid train famae` on the same dataset (default: train one now for
    /// --train-seconds).
    public var model: String?

    /// A GAOQ codebook (gaoq.safetensors from `resid tokenize`) fitted on that model's vectors
    /// (default: fit one now).
    public var codebook: String?

    /// Branching b1,b2 when fitting the codebook here.
    public var levels = "16,16"

    /// Level-3 slack when fitting the codebook here: free codes beyond the largest group, as a
    /// share of it.
    public var level3Slack = GAOQ.Configuration(b1: 1, b2: 1).level3Slack

    /// Training time when no --model is given (seconds).
    public var trainSeconds = 60.0

    /// New items measured one at a time, and again in micro-batches.
    public var items = 1_000

    /// Micro-batch size for the throughput pass.
    public var batch = 64

    /// Top-k item embeddings averaged for the predicted item_id part.
    public var topK = 20

    /// The defaults of `resid bench coldstart`.
    public init() {}

    public struct Latency: Codable {
        public var p50Milliseconds: Double
        public var p90Milliseconds: Double
        public var p99Milliseconds: Double
        public var meanMilliseconds: Double
        public var meanEncodeMilliseconds: Double
        public var meanAssignMilliseconds: Double
    }

    public struct Report: Codable {
        public var benchmark = "coldstart"
        public var dataset: String
        public var synthetic: Bool
        public var catalogueItems: Int
        public var model: String
        public var codebook: String
        public var claimer = "InMemoryLevel3Claimer (in-process; the daemon uses the Redis claimer)"
        public var blasThreads = 1
        public var topK: Int
        public var vectorWidth: Int
        public var items: Int
        public var singleItem: Latency
        public var singleItemsPerSecond: Double
        public var batchSize: Int
        public var batchedItemsPerSecond: Double
        public var batchedOverSingle: Double
        public var uniqueSIDs: Bool
        /// Level-3 codes per (c1, c2) group, and the largest group the fit filled.
        public var level3Codes: Int
        public var largestGroup: Int
        /// New items (both passes) on a level-3 code some catalogue item holds (trained), on a
        /// free code no catalogue item holds, and on an overflow code past the vocabulary.
        public var newItems: Int
        public var newItemsOnTrainedCodes: Int
        public var newItemsOnUnheldCodes: Int
        public var overflowLevel3Codes: Int
        /// New items whose own (c1, c2) group was full, so they took a free code in a sibling
        /// group.
        public var spilledItems: Int
        /// Spill groups each placement lists after the own group.
        public var spillGroups: Int
        /// Distinct (c1, c2) groups the new items landed in, and the most in one group.
        public var groupsWithNewItems: Int
        public var mostNewItemsInOneGroup: Int
    }

    /// Loads or trains the model, loads or fits the codebook, and times both passes; progress
    /// goes to standard error.
    public func run() async throws -> Report {
        guard items >= 1, batch >= 1, topK >= 1, trainSeconds > 0 else {
            throw InvalidSettings("--items, --batch and --top-k must be at least 1 and --train-seconds positive")
        }
        let branching = levels.split(separator: ",").compactMap { Int($0) }
        guard branching.count == 2, branching.allSatisfy({ $0 >= 1 }) else {
            throw InvalidSettings("--levels: write b1,b2, e.g. 16,16")
        }
        BLAS.setThreads(1)
        do {
            let prepared = try DatasetName(name: dataset, cacheDir: cacheDirectory).prepare()
            let (famae, modelSource) = try loadOrTrain(prepared)
            let (frozen, codebookSource) = try loadOrFit(famae, b1: branching[0], b2: branching[1])
            let tokenizer = try ColdStartTokenizer(
                table: prepared.items, encoder: FAMAEColdStartEncoder(model: famae, topK: topK), codebook: frozen)
            let claimer = try InMemoryLevel3Claimer(codebook: frozen, keys: prepared.items.keys)
            func newItems(_ prefix: String) -> [ColdStartTokenizer.Item] {
                (0..<items).map {
                    ColdStartTokenizer.Item(
                        key: "\(prefix)-\($0)", values: prepared.items.values(item: $0 % prepared.items.count))
                }
            }
            // Warm-up (allocations, page faults), not timed.
            _ = try await tokenizer.assign(Array(newItems("bench-warmup").prefix(8)), claimer: claimer)

            var latencies: [Double] = []
            var encodeSeconds = 0.0
            var assignSeconds = 0.0
            var sids: [SemanticID] = []
            log("single-item pass: \(items) items")
            for item in newItems("bench-single") {
                let watch = Stopwatch()
                let vector = try tokenizer.vectors([item])
                let encoded = watch.elapsed
                sids += try await tokenizer.assigner.assign(items: [item.key], vectors: vector, claimer: claimer)
                let total = watch.elapsed
                latencies.append(total)
                encodeSeconds += encoded
                assignSeconds += total - encoded
            }
            log("batched pass: \(items) items in batches of \(batch)")
            let batchItems = newItems("bench-batch")
            let batchWatch = Stopwatch()
            for start in stride(from: 0, to: batchItems.count, by: batch) {
                sids += try await tokenizer.assign(
                    Array(batchItems[start..<min(batchItems.count, start + batch)]), claimer: claimer)
            }
            let batchSeconds = batchWatch.elapsed
            let all = frozen.itemSIDs + sids
            // Own groups, placed again outside the timed passes.
            let ownGroups = try tokenizer.assigner.place(tokenizer.vectors(newItems("bench-single") + batchItems)).map {
                [$0.c1, $0.c2]
            }
            let spilled = zip(sids, ownGroups).filter { [$0.c1, $0.c2] != $1 }.count
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> Double {
                sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] * 1000
            }
            let single = Double(items) / latencies.reduce(0, +)
            let batched = Double(items) / batchSeconds
            let trained = frozen.heldLevel3Codes
            var perGroup: [[Int]: Int] = [:]
            for sid in sids { perGroup[[sid.c1, sid.c2], default: 0] += 1 }
            let report = Report(
                dataset: prepared.name, synthetic: prepared.isSynthetic, catalogueItems: prepared.items.count,
                model: modelSource, codebook: codebookSource, topK: topK,
                vectorWidth: famae.configuration.itemVectorWidth,
                items: items,
                singleItem: Latency(
                    p50Milliseconds: percentile(0.5), p90Milliseconds: percentile(0.9),
                    p99Milliseconds: percentile(0.99),
                    meanMilliseconds: latencies.reduce(0, +) / Double(items) * 1000,
                    meanEncodeMilliseconds: encodeSeconds / Double(items) * 1000,
                    meanAssignMilliseconds: assignSeconds / Double(items) * 1000),
                singleItemsPerSecond: single, batchSize: batch, batchedItemsPerSecond: batched,
                batchedOverSingle: batched / single,
                uniqueSIDs: Set(all).count == all.count, level3Codes: frozen.g3, largestGroup: frozen.largestGroup,
                newItems: sids.count, newItemsOnTrainedCodes: sids.filter { trained.contains($0.c3) }.count,
                newItemsOnUnheldCodes: sids.filter { $0.c3 < frozen.g3 && !trained.contains($0.c3) }.count,
                overflowLevel3Codes: sids.filter { $0.c3 >= frozen.g3 }.count,
                spilledItems: spilled, spillGroups: tokenizer.assigner.spillGroups,
                groupsWithNewItems: perGroup.count, mostNewItemsInOneGroup: perGroup.values.max() ?? 0)
            return report
        } catch let error as DataError {
            throw InvalidSettings(error.description)
        } catch let error as FAMAEError {
            throw InvalidSettings(error.description)
        }
    }

    private func loadOrTrain(_ prepared: PreparedDataset) throws -> (FAMAEModel, String) {
        if let model {
            return (try FAMAEModel.load(from: URL(fileURLWithPath: model)), "trained model \(model)")
        }
        log("no --model: training FAMAE on \(prepared.name) for \(Int(trainSeconds)) s")
        let famae = try FAMAEModel(
            configuration: FAMAEConfiguration(fields: FAMAEItemTableAdapter.fields(of: prepared.items)),
            catalog: FAMAEItemTableAdapter.catalog(of: prepared.items), seed: 1)
        var settings = FAMAETrainingConfiguration()
        settings.batchSize = 256
        settings.timeBudget = trainSeconds
        settings.sampling = .randomPerEpoch(20_000)
        settings.validationLimit = 500
        let report = try FAMAETrainer(model: famae, split: prepared.split, configuration: settings) { log($0) }.train()
        return (famae, "FAMAE trained here for \(Int(report.trainingSeconds)) s (\(report.totalSteps) steps of 256)")
    }

    private func loadOrFit(_ famae: FAMAEModel, b1: Int, b2: Int) throws -> (GAOQCodebook, String) {
        if let codebook {
            return (try GAOQCodebook(contentsOf: URL(fileURLWithPath: codebook)), "codebook \(codebook)")
        }
        log("no --codebook: fitting GAOQ \(b1)x\(b2) (level-3 slack \(level3Slack)) on the model's item vectors")
        var configuration = GAOQ.Configuration(b1: b1, b2: b2, seed: 42, workers: 1)
        configuration.level3Slack = level3Slack
        let fit = try GAOQ(configuration).fit(famae.itemVectors()) { log($0) }
        return (
            fit.codebook,
            "GAOQ \(b1)x\(b2), level-3 slack \(level3Slack), fitted here on the model's \(famae.catalog.count) item vectors"
        )
    }
}

private func log(_ line: String) {
    FileHandle.standardError.write(Foundation.Data("[bench coldstart] \(line)\n".utf8))
}
