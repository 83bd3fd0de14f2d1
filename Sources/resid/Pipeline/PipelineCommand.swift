import ArgumentParser
import Data
import Foundation
import Models
import Tensor
import Training

/// `resid pipeline --dataset ml-1m|ml-100k --out bundles/NAME [--time-budget S]`: the whole
/// offline path (fetch or load, FAMAE, GAOQ, generator, test evaluation) ending in a verified
/// bundle the daemon loads.
struct PipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Train FAMAE, fit GAOQ, train the SID generator, evaluate, and write a bundle."
    )

    @Option(help: "ml-1m, ml-100k (fetched into the cache if missing) or synthetic-ITEMS[-seedN].")
    var dataset: String

    @Option(help: "Bundle directory to create (must not exist), e.g. bundles/ml1m-2026-12-01.")
    var out: String

    @OptionGroup var dataCache: DatasetCacheOptions

    @Option(help: "Total training budget in seconds (FAMAE 30%, then the generator).")
    var timeBudget: Double?

    @Option(help: "GAOQ level-1 branching (default round(sqrt(items / 15))).")
    var b1: Int?

    @Option(help: "GAOQ level-2 branching (default round(sqrt(items / 15))).")
    var b2: Int?

    @Option(help: "Training windows per epoch drawn at random each epoch (0: all windows).")
    var windowsPerEpoch = 0

    @Option(help: "Batch size of FAMAE and the generator (windows, or tiles for the causal generator).")
    var batch = 256

    @Option(help: "Validation users per check (0: all).")
    var validationUsers = 0

    @Option(help: "Test users (0: all).")
    var testUsers = 0

    @OptionGroup var training: TrainingThreadOptions

    @Option(
        help:
            "Generator architecture: causal (every position per pass, the default) or t5 (the paper's encoder-decoder)."
    )
    var generator = GeneratorArchitecture.causal.rawValue

    @Option(help: "Seed for every stage.")
    var seed: UInt64 = 42

    @OptionGroup var output: JSONOutputOptions

    func run() async throws {
        BLAS.setThreads(1)
        guard let architecture = GeneratorArchitecture(rawValue: generator) else {
            throw ValidationError("--generator must be causal or t5, not '\(generator)'")
        }
        guard batch >= 1, windowsPerEpoch >= 0, (timeBudget ?? 1) > 0, (b1 ?? 2) >= 2, (b2 ?? 2) >= 2 else {
            throw ValidationError("--batch must be >= 1, --time-budget > 0, --b1/--b2 >= 2, --windows-per-epoch >= 0")
        }
        let log: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        if let published = PublishedDataset.named(dataset) {
            let cache = DatasetCache(root: dataCache.directory)
            if !cache.isFetched(published) {
                log("fetching \(published.name) into \(cache.root)")
                _ = try await cache.fetch(published, progress: log)
            }
        }
        let prepared = try DatasetName(name: dataset, cacheDir: dataCache.directory).prepare()
        var settings = OfflinePipelineConfiguration()
        settings.timeBudgetSeconds = timeBudget
        settings.b1 = b1
        settings.b2 = b2
        settings.seed = seed
        settings.threads = training.threads
        settings.architecture = architecture
        settings.windowSampling = windowsPerEpoch > 0 ? .randomPerEpoch(windowsPerEpoch) : .all
        settings.generatorTraining.batchSize = batch
        settings.generatorTraining.validationUsers = validationUsers > 0 ? validationUsers : nil
        settings.testUsers = testUsers > 0 ? testUsers : nil
        let summary = try OfflinePipeline(configuration: settings, progress: log).run(
            prepared, output: URL(fileURLWithPath: out))
        if output.json { try printJSON(summary) }
    }
}
