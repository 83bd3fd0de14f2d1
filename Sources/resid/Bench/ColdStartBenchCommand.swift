import ArgumentParser
import Data
import Foundation
import Models
import Tensor
import Tokenizer
import Training

/// `resid bench coldstart`: the online item path on one core (OpenBLAS threads 1):
/// raw field values → FAMAE cold-start vector → SID claimed against a frozen GAOQ codebook.
///
/// New items are catalogue items' raw values under fresh keys, so `item_id` is unknown and
/// predicted exactly as for a real new item. Latency is measured one item per call (encode +
/// assign); throughput one micro-batch per call; the report gives both and their ratio, and
/// where the new items of both passes landed: on trained level-3 codes of their own group, spilled
/// to a sibling group's trained code, or on overflow codes.
struct ColdStartBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coldstart",
        abstract: "Cold-start encode + SID assignment: items/s and latency percentiles on one core."
    )

    @Option(help: "ml-1m, ml-100k or synthetic-ITEMS[-seedN]: the item table (vocabularies) and, without --model, the training data.")
    var dataset = "synthetic-3000"

    @Option(help: "A famae.safetensors from `resid train famae` on the same dataset (default: train one now for --train-seconds).")
    var model: String?

    @Option(help: "A GAOQ codebook (gaoq.safetensors from `resid tokenize`) fitted on that model's vectors (default: fit one now).")
    var codebook: String?

    @Option(help: "Branching b1,b2 when fitting the codebook here.")
    var levels = "16,16"

    @Option(help: "Level-3 slack when fitting the codebook here: free codes beyond the largest group, as a share of it.")
    var level3Slack = GAOQ.Configuration(b1: 1, b2: 1).level3Slack

    @Option(help: "Training time when no --model is given (seconds).")
    var trainSeconds = 60.0

    @Option(help: "New items measured one at a time, and again in micro-batches.")
    var items = 1_000

    @Option(help: "Micro-batch size for the throughput pass.")
    var batch = 64

    @Option(help: "Top-k item embeddings averaged for the predicted item_id part.")
    var topK = 20

    @OptionGroup var dataCache: DatasetCacheOptions

    @OptionGroup var output: JSONOutputOptions

    struct Latency: Codable {
        var p50Milliseconds: Double
        var p90Milliseconds: Double
        var p99Milliseconds: Double
        var meanMilliseconds: Double
        var meanEncodeMilliseconds: Double
        var meanAssignMilliseconds: Double
    }

    struct Report: Codable {
        var benchmark = "coldstart"
        var dataset: String
        var synthetic: Bool
        var catalogueItems: Int
        var model: String
        var codebook: String
        var claimer = "InMemoryLevel3Claimer (in-process; the daemon uses the Redis claimer)"
        var blasThreads = 1
        var topK: Int
        var vectorWidth: Int
        var items: Int
        var singleItem: Latency
        var singleItemsPerSecond: Double
        var batchSize: Int
        var batchedItemsPerSecond: Double
        var batchedOverSingle: Double
        var uniqueSIDs: Bool
        /// Level-3 codes per (c1, c2) group, and the largest group the fit filled.
        var level3Codes: Int
        var largestGroup: Int
        /// New items (both passes) on a level-3 code some catalogue item holds (trained), on a
        /// free code no catalogue item holds, and on an overflow code past the vocabulary.
        var newItems: Int
        var newItemsOnTrainedCodes: Int
        var newItemsOnUnheldCodes: Int
        var overflowLevel3Codes: Int
        /// New items whose own (c1, c2) group was full, so they took a free code in a sibling group.
        var spilledItems: Int
        /// Spill groups each placement lists after the own group.
        var spillGroups: Int
        /// Distinct (c1, c2) groups the new items landed in, and the most in one group.
        var groupsWithNewItems: Int
        var mostNewItemsInOneGroup: Int
    }

    func run() async throws {
        guard items >= 1, batch >= 1, topK >= 1, trainSeconds > 0 else {
            throw ValidationError("--items, --batch and --top-k must be at least 1 and --train-seconds positive")
        }
        let branching = levels.split(separator: ",").compactMap { Int($0) }
        guard branching.count == 2, branching.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--levels: write b1,b2, e.g. 16,16")
        }
        BLAS.setThreads(1)
        do {
            let prepared = try DatasetName(name: dataset, cacheDir: dataCache.directory).prepare()
            let (famae, modelSource) = try loadOrTrain(prepared)
            let (frozen, codebookSource) = try loadOrFit(famae, b1: branching[0], b2: branching[1])
            let tokenizer = try ColdStartTokenizer(table: prepared.items, encoder: FAMAEColdStartEncoder(model: famae, topK: topK), codebook: frozen)
            let claimer = try InMemoryLevel3Claimer(codebook: frozen, keys: prepared.items.keys)
            func newItems(_ prefix: String) -> [ColdStartTokenizer.Item] {
                (0..<items).map { ColdStartTokenizer.Item(key: "\(prefix)-\($0)", values: prepared.items.values(item: $0 % prepared.items.count)) }
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
                sids += try await tokenizer.assign(Array(batchItems[start..<min(batchItems.count, start + batch)]), claimer: claimer)
            }
            let batchSeconds = batchWatch.elapsed
            let all = frozen.itemSIDs + sids
            // Own groups, placed again outside the timed passes.
            let ownGroups = try tokenizer.assigner.place(tokenizer.vectors(newItems("bench-single") + batchItems)).map { [$0.c1, $0.c2] }
            let spilled = zip(sids, ownGroups).filter { [$0.c1, $0.c2] != $1 }.count
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] * 1000 }
            let single = Double(items) / latencies.reduce(0, +)
            let batched = Double(items) / batchSeconds
            let trained = frozen.heldLevel3Codes
            var perGroup: [[Int]: Int] = [:]
            for sid in sids { perGroup[[sid.c1, sid.c2], default: 0] += 1 }
            let report = Report(
                dataset: prepared.name, synthetic: prepared.isSynthetic, catalogueItems: prepared.items.count,
                model: modelSource, codebook: codebookSource, topK: topK, vectorWidth: famae.configuration.itemVectorWidth,
                items: items,
                singleItem: Latency(
                    p50Milliseconds: percentile(0.5), p90Milliseconds: percentile(0.9), p99Milliseconds: percentile(0.99),
                    meanMilliseconds: latencies.reduce(0, +) / Double(items) * 1000,
                    meanEncodeMilliseconds: encodeSeconds / Double(items) * 1000, meanAssignMilliseconds: assignSeconds / Double(items) * 1000),
                singleItemsPerSecond: single, batchSize: batch, batchedItemsPerSecond: batched, batchedOverSingle: batched / single,
                uniqueSIDs: Set(all).count == all.count, level3Codes: frozen.g3, largestGroup: frozen.largestGroup,
                newItems: sids.count, newItemsOnTrainedCodes: sids.filter { trained.contains($0.c3) }.count,
                newItemsOnUnheldCodes: sids.filter { $0.c3 < frozen.g3 && !trained.contains($0.c3) }.count,
                overflowLevel3Codes: sids.filter { $0.c3 >= frozen.g3 }.count,
                spilledItems: spilled, spillGroups: tokenizer.assigner.spillGroups,
                groupsWithNewItems: perGroup.count, mostNewItemsInOneGroup: perGroup.values.max() ?? 0)
            if output.json {
                try printJSON(report)
            } else {
                if prepared.isSynthetic { print("SYNTHETIC DATA (generated, not real users)") }
                print("cold start on \(prepared.name) (\(modelSource); \(codebookSource)), 1 BLAS thread")
                print("single item: p50 \(format(report.singleItem.p50Milliseconds, digits: 2)) ms  p90 \(format(report.singleItem.p90Milliseconds, digits: 2)) ms  p99 \(format(report.singleItem.p99Milliseconds, digits: 2)) ms  (\(format(single)) items/s)")
                print("batches of \(batch): \(format(batched)) items/s (\(format(batched / single, digits: 2))x single)")
                print("level 3: \(report.level3Codes) codes for groups of at most \(report.largestGroup); \(report.newItems) new items: \(report.newItemsOnTrainedCodes) on trained codes, \(report.newItemsOnUnheldCodes) on unheld codes, \(report.overflowLevel3Codes) on overflow codes, \(report.spilledItems) spilled to a sibling group; \(report.groupsWithNewItems) groups, at most \(report.mostNewItemsInOneGroup) in one")
            }
        } catch let error as DataError {
            throw ValidationError(error.description)
        } catch let error as FAMAEError {
            throw ValidationError(error.description)
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
        return (fit.codebook, "GAOQ \(b1)x\(b2), level-3 slack \(level3Slack), fitted here on the model's \(famae.catalog.count) item vectors")
    }
}

private func log(_ line: String) {
    FileHandle.standardError.write(Foundation.Data("[bench coldstart] \(line)\n".utf8))
}
