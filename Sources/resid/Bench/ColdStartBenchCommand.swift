import ArgumentParser
import Harness

/// `resid bench coldstart`: runs ``ColdStartBenchmark`` (what it measures is described there)
/// and prints its report.
struct ColdStartBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coldstart",
        abstract: "Cold-start encode + SID assignment: items/s and latency percentiles on one core."
    )

    @Option(
        help:
            "ml-1m, ml-100k or synthetic-ITEMS[-seedN]: the item table (vocabularies) and, without --model, the training data."
    )
    var dataset = "synthetic-3000"

    @Option(
        help:
            "A famae.safetensors from `resid train famae` on the same dataset (default: train one now for --train-seconds)."
    )
    var model: String?

    @Option(
        help:
            "A GAOQ codebook (gaoq.safetensors from `resid tokenize`) fitted on that model's vectors (default: fit one now)."
    )
    var codebook: String?

    @Option(help: "Branching b1,b2 when fitting the codebook here.")
    var levels = "16,16"

    @Option(
        help: "Level-3 slack when fitting the codebook here: free codes beyond the largest group, as a share of it.")
    var level3Slack = ColdStartBenchmark().level3Slack

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

    func run() async throws {
        var benchmark = ColdStartBenchmark()
        benchmark.dataset = dataset
        benchmark.model = model
        benchmark.codebook = codebook
        benchmark.levels = levels
        benchmark.level3Slack = level3Slack
        benchmark.trainSeconds = trainSeconds
        benchmark.items = items
        benchmark.batch = batch
        benchmark.topK = topK
        benchmark.cacheDirectory = dataCache.directory
        let report = try await InvalidSettings.asValidationError { try await benchmark.run() }
        if output.json {
            try printJSON(report)
        } else {
            if report.synthetic { print("SYNTHETIC DATA (generated, not real users)") }
            print("cold start on \(report.dataset) (\(report.model); \(report.codebook)), 1 BLAS thread")
            print(
                "single item: p50 \(format(report.singleItem.p50Milliseconds, digits: 2)) ms  p90 \(format(report.singleItem.p90Milliseconds, digits: 2)) ms  p99 \(format(report.singleItem.p99Milliseconds, digits: 2)) ms  (\(format(report.singleItemsPerSecond)) items/s)"
            )
            print(
                "batches of \(report.batchSize): \(format(report.batchedItemsPerSecond)) items/s (\(format(report.batchedOverSingle, digits: 2))x single)"
            )
            print(
                "level 3: \(report.level3Codes) codes for groups of at most \(report.largestGroup); \(report.newItems) new items: \(report.newItemsOnTrainedCodes) on trained codes, \(report.newItemsOnUnheldCodes) on unheld codes, \(report.overflowLevel3Codes) on overflow codes, \(report.spilledItems) spilled to a sibling group; \(report.groupsWithNewItems) groups, at most \(report.mostNewItemsInOneGroup) in one"
            )
        }
    }
}
