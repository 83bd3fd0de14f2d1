/// The codes every item received from some quantiser, level by level, for diagnostics and export.
///
/// Unlike ``SemanticID`` the number of levels is free: RQ-KMeans with its collision suffix has four.
public struct SIDTable: Sendable, Codable {
    /// `codes[item]` lists the item's code at each level.
    public var codes: [[Int]]
    /// The number of codes each level may use (its share of the token vocabulary).
    public var levelSizes: [Int]

    public init(codes: [[Int]], levelSizes: [Int]) {
        self.codes = codes
        self.levelSizes = levelSizes
    }

    /// Number of items.
    public var count: Int { codes.count }
    /// Number of levels.
    public var levels: Int { levelSizes.count }
}
