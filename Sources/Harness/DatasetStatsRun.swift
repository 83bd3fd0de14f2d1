public import Data
import Foundation
import Tensor

/// What `resid data stats` does: loads a dataset (ml-1m, ml-100k, synthetic or a path), applies the
/// data protocol (5-core, stable time sort, leave-one-out, sliding windows) and computes the figures.
public struct DatasetStatsRun: Sendable {
    /// Dataset cache directory for ml-1m / ml-100k (default: the user's cache).
    public var cacheDirectory: String? = nil

    /// ml-1m, ml-100k, synthetic, a RecBole directory, or a .csv/.jsonl interactions file.
    public var dataset: String

    /// Items file (.csv or .jsonl) for a .csv/.jsonl interactions file.
    public var items: String?

    /// Comma-separated multi-valued columns of a CSV items file (values split on '|').
    public var multiValued: String = ""

    /// k of the k-core filter.
    public var k = 5

    /// Longest history kept per sample.
    public var historyLimit = 32

    /// Synthetic catalogue size (with --dataset synthetic).
    public var syntheticItems = 10_000

    /// Synthetic users (default: 2 x items).
    public var syntheticUsers: Int?

    /// Synthetic mean sequence length.
    public var syntheticMeanLength = 10.0

    /// Synthetic Zipf exponent of item popularity.
    public var syntheticPopularityExponent: Double?

    /// Seed of the synthetic generator.
    public var seed: UInt64 = 1

    /// Also count the windows the mostRecentPerUser(N) sampling rule keeps.
    public var recentPerUser = 50

    /// Statistics of `dataset` with the defaults of `resid data stats`.
    public init(dataset: String) {
        self.dataset = dataset
    }

    /// The statistics plus how long each stage took on this machine.
    public struct Report: Encodable, Sendable {
        public var statistics: DatasetStatistics
        public var loadSeconds: Double
        public var prepareSeconds: Double
        /// CPU seconds of this process for the same stages: on a shared machine wall time
        /// includes waiting for other processes, CPU time does not.
        public var loadCPUSeconds: Double
        public var prepareCPUSeconds: Double
        public var source: String
        /// Training windows kept by `WindowSampling.mostRecentPerUser(recentPerUser)`.
        public var recentPerUser: Int
        public var recentPerUserWindows: Int
    }

    /// Loads and prepares the dataset and returns its figures; progress goes to standard error.
    /// A ``DataError`` names the problem and the fix.
    public func run() throws -> Report {
        var watch = Stopwatch()
        var cpuStart = processCPUSeconds()
        progress("loading \(dataset)")
        let (loaded, source) = try load()
        let loadSeconds = watch.elapsed
        let loadCPUSeconds = processCPUSeconds() - cpuStart
        cpuStart = processCPUSeconds()
        progress(
            "loaded \(loaded.interactions.count) events, \(loaded.catalog.count) catalogue items in \(truncatedDecimal(loadSeconds, digits: 2)) s; applying \(k)-core, time sort, leave-one-out"
        )
        watch.restart()
        let prepared = try Preprocessor(minimumEvents: k, historyLimit: historyLimit).prepare(loaded)
        let prepareSeconds = watch.elapsed
        let prepareCPUSeconds = processCPUSeconds() - cpuStart
        progress("prepared in \(truncatedDecimal(prepareSeconds, digits: 2)) s; computing statistics")
        let statistics = DatasetStatistics(dataset: loaded, prepared: prepared, k: k)
        let recent = TrainingWindowSampler(
            split: prepared.split, sampling: .mostRecentPerUser(recentPerUser), seed: seed)
        let report = Report(
            statistics: statistics, loadSeconds: loadSeconds, prepareSeconds: prepareSeconds,
            loadCPUSeconds: loadCPUSeconds, prepareCPUSeconds: prepareCPUSeconds, source: source,
            recentPerUser: recentPerUser, recentPerUserWindows: recent.windowsPerEpoch)
        return report
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
            let cache = DatasetCache(root: cacheDirectory)
            guard cache.isFetched(published) else {
                throw DataError(
                    .datasetNotFetched,
                    "\(published.name) is not in the cache at \(cache.root); run `resid data fetch \(published.name)` first"
                )
            }
            let directory = cache.directory(for: published)
            return (try RecBoleLoader(directory: directory, name: published.name).load(), directory)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataset, isDirectory: &isDirectory) else {
            throw DataError(
                .unknownDataset,
                "'\(dataset)' is neither a known dataset (ml-1m, ml-100k, synthetic) nor an existing path")
        }
        if isDirectory.boolValue { return (try RecBoleLoader(directory: dataset).load(), dataset) }
        let name = URL(fileURLWithPath: dataset).deletingPathExtension().lastPathComponent
        let multi = Set(multiValued.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        let loader = TabularLoader(name: name, interactions: dataset, items: items, multiValuedColumns: multi)
        return (try loader.load(), dataset)
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Foundation.Data("[data stats] \(line)\n".utf8))
    }
}
