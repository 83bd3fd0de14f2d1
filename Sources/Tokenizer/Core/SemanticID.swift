/// A three-level Semantic ID `(c1, c2, c3)`: the tokens a generator reads and writes for one item.
///
/// Codes are per-level indices (`c1 < b1`, `c2 < b2`, `c3 < g3` or an online overflow code at or
/// past `g3`). ``tokens(vocabulary:)`` maps them to the shared token space with per-level offsets.
public struct SemanticID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var c1: Int
    public var c2: Int
    public var c3: Int

    public init(_ c1: Int, _ c2: Int, _ c3: Int) {
        self.c1 = c1
        self.c2 = c2
        self.c3 = c3
    }

    /// The codes as an array, level by level.
    public var codes: [Int] { [c1, c2, c3] }

    /// The three token IDs in a vocabulary where the levels never share an ID.
    public func tokens(vocabulary: SIDVocabulary) -> [Int] {
        [vocabulary.offsets[0] + c1, vocabulary.offsets[1] + c2, vocabulary.offsets[2] + c3]
    }

    public var description: String { "<\(c1)-\(c2)-\(c3)>" }
}

/// The token layout of a three-level SID: level `l` owns IDs `offsets[l] ..< offsets[l] + sizes[l]`.
public struct SIDVocabulary: Hashable, Sendable, Codable {
    /// Codes per level (b1, b2, g3).
    public let sizes: [Int]
    /// First token ID of each level.
    public let offsets: [Int]
    /// Total number of SID tokens, the sum of ``sizes``.
    public var count: Int { sizes.reduce(0, +) }

    public init(sizes: [Int]) {
        self.sizes = sizes
        var running = 0
        var offsets: [Int] = []
        for size in sizes {
            offsets.append(running)
            running += size
        }
        self.offsets = offsets
    }
}
