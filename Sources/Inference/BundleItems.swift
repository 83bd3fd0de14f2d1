public import Data

/// `items.json` of a bundle: the item table frozen at training time, item key → internal
/// index (the array position) → SID, plus every item's field values so the daemon can rebuild
/// its catalogue without the dataset.
public struct BundleItems: Sendable, Codable, Equatable {
    /// The file name inside a bundle.
    public static let fileName = BundleFiles.items

    /// The dataset the items come from.
    public var dataset: String
    /// True for generated data.
    public var synthetic: Bool
    /// Item keys by internal index.
    public var keys: [String]
    /// Each item's SID codes, by internal index.
    public var sids: [[Int]]
    /// Each item's raw field values (field name → values), by internal index.
    public var values: [[String: [String]]]

    public init(dataset: String, synthetic: Bool, keys: [String], sids: [[Int]], values: [[String: [String]]]) {
        (self.dataset, self.synthetic, self.keys, self.sids, self.values) = (dataset, synthetic, keys, sids, values)
    }

    /// The items of a prepared table with the SIDs a quantiser gave them.
    public init(dataset: PreparedDataset, sids: [[Int]]) {
        self.init(
            dataset: dataset.name, synthetic: dataset.isSynthetic, keys: dataset.items.keys, sids: sids,
            values: (0..<dataset.items.count).map { dataset.items.values(item: $0) })
    }
}
