public import Bundle
import Data
public import Foundation
import JSON
import Models
import Training

/// The bundle the demo serves: one the user names, or a MovieLens-100K bundle cached under
/// `$RESID_CACHE/bundles` (default `~/.cache/resid/bundles`), built with the offline pipeline
/// when missing or unreadable by this build.
public struct DemoBundle {
    public var path: String?
    /// Training budget (seconds) when the bundle has to be built.
    public var budget: Double

    public static let name = "demo-ml-100k"

    /// The bundle at `path`, or the cached demo bundle built within `budget` seconds.
    public init(path: String?, budget: Double) {
        self.path = path
        self.budget = budget
    }

    public func ensure(log: @escaping @Sendable (String) -> Void) async throws -> URL {
        if let path {
            let url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
            _ = try ModelBundle(directory: url)
            log("serving \(url.path)")
            return url
        }
        let environment = ProcessInfo.processInfo.environment
        let root =
            environment["RESID_CACHE"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/resid", isDirectory: true)
        let url = root.appendingPathComponent("bundles/\(Self.name)", isDirectory: true)
        if FileManager.default.fileExists(atPath: url.path) {
            do {
                let bundle = try ModelBundle(directory: url)
                guard Self.hasLevel3Room(bundle.manifest) else {
                    throw HarnessFailure(
                        "it was built before GAOQ left free level-3 codes, so every new item would take an untrained overflow code"
                    )
                }
                guard
                    bundle.manifest.hyperparameters["generator_architecture"]
                        == .string(GeneratorArchitecture.causal.rawValue)
                else {
                    throw HarnessFailure(
                        "it holds the T5 generator; the demo serves the causal one, which wins at equal training time")
                }
                log("using cached bundle \(url.path) (\(bundle.manifest.notes["test_metrics"] ?? "no test metrics"))")
                return url
            } catch {
                log("cached bundle \(url.path) is unusable (\(error)); rebuilding it")
                try FileManager.default.removeItem(at: url)
            }
        }
        let cache = DatasetCache(root: nil)
        guard let dataset = PublishedDataset.named("ml-100k") else {
            throw HarnessFailure("ml-100k is not a known dataset")
        }
        if !cache.isFetched(dataset) {
            log("fetching ml-100k into \(cache.root)")
            _ = try await cache.fetch(dataset, progress: log)
        }
        log(
            "building \(url.path) with the offline pipeline on ml-100k (training budget \(Int(budget)) s; cached for later runs)"
        )
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let prepared = try DatasetName(name: "ml-100k", cacheDir: nil).prepare()
        var settings = OfflinePipelineConfiguration()
        settings.timeBudgetSeconds = budget
        settings.evaluationReserveSeconds = 30
        settings.windowSampling = .randomPerEpoch(16_384)
        settings.threads = 2
        settings.testUsers = 300
        settings.unconstrainedUsers = 64
        let summary = try OfflinePipeline(configuration: settings, progress: { log("  " + $0) }).run(
            prepared, output: url)
        log("bundle built in \(Int(summary.totalSeconds)) s")
        return url
    }

    /// True when the bundle's GAOQ left level-3 codes beyond its largest group (recorded in the
    /// manifest since it does).
    public static func hasLevel3Room(_ manifest: BundleManifest) -> Bool {
        guard case .object(let gaoq)? = manifest.hyperparameters["gaoq"],
            let codes = gaoq["g3"]?.numericValue, let largest = gaoq["largest_group"]?.numericValue
        else { return false }
        return codes > largest
    }
}
