import ArgumentParser
import Data
import Foundation
import Tensor

/// `resid data stats --dataset ml-1m|ml-100k|synthetic|PATH`: loads a dataset, applies the data
/// protocol (5-core, stable time sort, leave-one-out, sliding windows) and prints the figures.
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

    /// The statistics plus how long each stage took on this machine.
    struct Report: Encodable {
        var statistics: DatasetStatistics
        var loadSeconds: Double
        var prepareSeconds: Double
        /// CPU seconds of this process for the same stages: on a shared machine wall time
        /// includes waiting for other processes, CPU time does not.
        var loadCPUSeconds: Double
        var prepareCPUSeconds: Double
        var source: String
        /// Training windows kept by `WindowSampling.mostRecentPerUser(recentPerUser)`.
        var recentPerUser: Int
        var recentPerUserWindows: Int
    }

    func run() async throws {
        // A DataError propagates as is: ArgumentParser prints its description and exits 1.
        var watch = Stopwatch()
        var cpuStart = Self.processCPUSeconds()
        progress("loading \(dataset)")
        let (loaded, source) = try load()
        let loadSeconds = watch.elapsed
        let loadCPUSeconds = Self.processCPUSeconds() - cpuStart
        cpuStart = Self.processCPUSeconds()
        progress("loaded \(loaded.interactions.count) events, \(loaded.catalog.count) catalogue items in \(format(loadSeconds, digits: 2)) s; applying \(k)-core, time sort, leave-one-out")
        watch.restart()
        let prepared = try Preprocessor(minimumEvents: k, historyLimit: historyLimit).prepare(loaded)
        let prepareSeconds = watch.elapsed
        let prepareCPUSeconds = Self.processCPUSeconds() - cpuStart
        progress("prepared in \(format(prepareSeconds, digits: 2)) s; computing statistics")
        let statistics = DatasetStatistics(dataset: loaded, prepared: prepared, k: k)
        let recent = TrainingWindowSampler(split: prepared.split, sampling: .mostRecentPerUser(recentPerUser), seed: seed)
        let report = Report(
            statistics: statistics, loadSeconds: loadSeconds, prepareSeconds: prepareSeconds,
            loadCPUSeconds: loadCPUSeconds, prepareCPUSeconds: prepareCPUSeconds, source: source,
            recentPerUser: recentPerUser, recentPerUserWindows: recent.windowsPerEpoch)
        if output.json { try printJSON(report) } else { printSummary(report) }
    }

    private func load() throws -> (Dataset, String) {
        if dataset == "synthetic" {
            var configuration = SyntheticConfiguration(itemCount: syntheticItems, seed: seed)
            configuration.userCount = syntheticUsers
            configuration.meanSequenceLength = syntheticMeanLength
            if let syntheticPopularityExponent { configuration.popularityExponent = syntheticPopularityExponent }
            let generator = try SyntheticDatasetGenerator(configuration)
            return (try generator.generate(), "synthetic generator (not real data), seed \(seed)")
        }
        if let published = PublishedDataset.named(dataset) {
            let cache = DatasetCache(root: dataCache.directory)
            guard cache.isFetched(published) else {
                throw DataError(.datasetNotFetched, "\(published.name) is not in the cache at \(cache.root); run `resid data fetch \(published.name)` first")
            }
            let directory = cache.directory(for: published)
            return (try RecBoleLoader(directory: directory, name: published.name).load(), directory)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataset, isDirectory: &isDirectory) else {
            throw DataError(.unknownDataset, "'\(dataset)' is neither a known dataset (ml-1m, ml-100k, synthetic) nor an existing path")
        }
        if isDirectory.boolValue { return (try RecBoleLoader(directory: dataset).load(), dataset) }
        let name = URL(fileURLWithPath: dataset).deletingPathExtension().lastPathComponent
        let multi = Set(multiValued.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        let loader = TabularLoader(name: name, interactions: dataset, items: items, multiValuedColumns: multi)
        return (try loader.load(), dataset)
    }

    /// CPU time used by this process so far.
    private static func processCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Foundation.Data("[data stats] \(line)\n".utf8))
    }

    private func printSummary(_ report: Report) {
        let s = report.statistics
        if s.synthetic { print("SYNTHETIC DATA (generated, not real users)") }
        print("dataset \(s.dataset)  source \(report.source)")
        print("raw:      \(s.raw.users) users, \(s.raw.items) items with events (\(s.catalogItems) in catalogue), \(s.raw.events) events, \(s.raw.timeTies) time ties")
        print("\(s.k)-core:   \(s.filtered.users) users, \(s.filtered.items) items, \(s.filtered.events) events, \(s.filtered.timeTies) time ties, \(format(s.filtered.averageEventsPerUser, digits: 1)) events/user (\(s.kCorePasses) passes)")
        for field in s.fields {
            print("  field \(field.name) (\(field.kind.rawValue), \(field.role.rawValue)): \(field.vocabularySize) values, \(field.itemsWithValue) items known")
        }
        let l = s.sequenceLength
        print("sequence length: min \(l.min) p25 \(l.p25) median \(l.median) p75 \(l.p75) p90 \(l.p90) max \(l.max) mean \(format(l.mean, digits: 1))")
        print("samples: \(s.samples.trainingWindows) training windows (\(s.samples.truncatedTrainingWindows) cut to \(s.samples.historyLimit)), \(s.samples.validation) validation, \(s.samples.test) test")
        print("mostRecentPerUser(\(report.recentPerUser)) keeps \(report.recentPerUserWindows) training windows")
        print("load \(format(report.loadSeconds, digits: 2)) s (CPU \(format(report.loadCPUSeconds, digits: 2)) s), prepare \(format(report.prepareSeconds, digits: 2)) s (CPU \(format(report.prepareCPUSeconds, digits: 2)) s)")
    }
}
