import ArgumentParser
import Data
import Harness

/// `resid data stats --dataset ml-1m|ml-100k|synthetic|PATH`: runs ``DatasetStatsRun`` (the data
/// protocol's figures) and prints them.
struct DataStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Users, items, events before/after k-core, field vocabularies, sequence lengths, time ties.",
        discussion: """
            --dataset takes ml-1m or ml-100k (from the cache; run `resid data fetch` first), \
            `synthetic` (generated, labelled synthetic), a directory of RecBole atomic files \
            (NAME.inter, NAME.item, ...), or a .csv/.jsonl interactions file (with --items).
            """
    )

    @Option(help: "ml-1m, ml-100k, synthetic, a RecBole directory, or a .csv/.jsonl interactions file.")
    var dataset: String

    @OptionGroup var dataCache: DatasetCacheOptions

    @Option(help: "Items file (.csv or .jsonl) for a .csv/.jsonl interactions file.")
    var items: String?

    @Option(help: "Comma-separated multi-valued columns of a CSV items file (values split on '|').")
    var multiValued: String = ""

    @Option(help: "k of the k-core filter.")
    var k = 5

    @Option(help: "Longest history kept per sample.")
    var historyLimit = 32

    @Option(help: "Synthetic catalogue size (with --dataset synthetic).")
    var syntheticItems = 10_000

    @Option(help: "Synthetic users (default: 2 x items).")
    var syntheticUsers: Int?

    @Option(help: "Synthetic mean sequence length.")
    var syntheticMeanLength = 10.0

    @Option(help: "Synthetic Zipf exponent of item popularity.")
    var syntheticPopularityExponent: Double?

    @Option(help: "Seed of the synthetic generator.")
    var seed: UInt64 = 1

    @Option(help: "Also count the windows the mostRecentPerUser(N) sampling rule keeps.")
    var recentPerUser = 50

    @OptionGroup var output: JSONOutputOptions

    func run() async throws {
        var run = DatasetStatsRun(dataset: dataset)
        run.items = items
        run.multiValued = multiValued
        run.k = k
        run.historyLimit = historyLimit
        run.syntheticItems = syntheticItems
        run.syntheticUsers = syntheticUsers
        run.syntheticMeanLength = syntheticMeanLength
        run.syntheticPopularityExponent = syntheticPopularityExponent
        run.seed = seed
        run.recentPerUser = recentPerUser
        run.cacheDirectory = dataCache.directory
        // A DataError propagates as is: ArgumentParser prints its description and exits 1.
        let report = try run.run()
        if output.json { try printJSON(report) } else { printSummary(report) }
    }

    private func printSummary(_ report: DatasetStatsRun.Report) {
        let s = report.statistics
        if s.synthetic { print("SYNTHETIC DATA (generated, not real users)") }
        print("dataset \(s.dataset)  source \(report.source)")
        print(
            "raw:      \(s.raw.users) users, \(s.raw.items) items with events (\(s.catalogItems) in catalogue), \(s.raw.events) events, \(s.raw.timeTies) time ties"
        )
        print(
            "\(s.k)-core:   \(s.filtered.users) users, \(s.filtered.items) items, \(s.filtered.events) events, \(s.filtered.timeTies) time ties, \(format(s.filtered.averageEventsPerUser, digits: 1)) events/user (\(s.kCorePasses) passes)"
        )
        for field in s.fields {
            print(
                "  field \(field.name) (\(field.kind.rawValue), \(field.role.rawValue)): \(field.vocabularySize) values, \(field.itemsWithValue) items known"
            )
        }
        let l = s.sequenceLength
        print(
            "sequence length: min \(l.min) p25 \(l.p25) median \(l.median) p75 \(l.p75) p90 \(l.p90) max \(l.max) mean \(format(l.mean, digits: 1))"
        )
        print(
            "samples: \(s.samples.trainingWindows) training windows (\(s.samples.truncatedTrainingWindows) cut to \(s.samples.historyLimit)), \(s.samples.validation) validation, \(s.samples.test) test"
        )
        print("mostRecentPerUser(\(report.recentPerUser)) keeps \(report.recentPerUserWindows) training windows")
        print(
            "load \(format(report.loadSeconds, digits: 2)) s (CPU \(format(report.loadCPUSeconds, digits: 2)) s), prepare \(format(report.prepareSeconds, digits: 2)) s (CPU \(format(report.prepareCPUSeconds, digits: 2)) s)"
        )
    }
}
