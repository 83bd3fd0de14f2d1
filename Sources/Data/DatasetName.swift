/// Resolves a `--dataset` name for training commands: `ml-1m` / `ml-100k` from the cache, or
/// `synthetic-ITEMS` (optionally `synthetic-ITEMS-seedS`) from the seeded generator (labelled
/// synthetic in every report).
public struct DatasetName {
    public var name: String
    public var cacheDir: String?

    /// The dataset `name`, read from the cache at `cacheDir` (default: the user's cache).
    public init(name: String, cacheDir: String?) {
        self.name = name
        self.cacheDir = cacheDir
    }

    /// Loads and prepares the dataset (5-core, time sort, leave-one-out, histories of 32).
    /// - Throws: ``DataError`` naming the problem and the fix.
    public func prepare(historyLimit: Int = 32) throws -> PreparedDataset {
        try Preprocessor(historyLimit: historyLimit).prepare(load())
    }

    /// Loads the dataset as published (before the k-core filter and the split).
    public func load() throws -> Dataset {
        if let published = PublishedDataset.named(name) {
            let cache = DatasetCache(root: cacheDir)
            guard cache.isFetched(published) else {
                throw DataError(
                    .datasetNotFetched,
                    "\(published.name) is not in the cache at \(cache.root); run `resid data fetch \(published.name)` first"
                )
            }
            return try RecBoleLoader(directory: cache.directory(for: published), name: published.name).load()
        }
        let parts = name.split(separator: "-")
        if parts.first == "synthetic", parts.count >= 2, let items = Int(parts[1]), items > 0 {
            var seed: UInt64 = 1
            if parts.count == 3, parts[2].hasPrefix("seed"), let value = UInt64(parts[2].dropFirst(4)) {
                seed = value
            } else if parts.count != 2 {
                throw DataError(
                    .unknownDataset,
                    "'\(name)': write synthetic-ITEMS or synthetic-ITEMS-seedN, e.g. synthetic-5000-seed3")
            }
            return try SyntheticDatasetGenerator(SyntheticConfiguration(itemCount: items, seed: seed)).generate()
        }
        throw DataError(
            .unknownDataset, "'\(name)' is not a training dataset; use ml-1m, ml-100k or synthetic-ITEMS[-seedN]")
    }
}
