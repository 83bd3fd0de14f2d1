public import Tokenizer

/// The generator's token space: three special tokens, then each SID level's codes at its own
/// offset so levels never share a token.
///
/// | tokens | meaning |
/// |---|---|
/// | 0 | padding (masked out of attention and loss) |
/// | 1 | end of the encoder input |
/// | 2 | decoder start |
/// | `levelOffsets[l] + c` | code `c` at level `l` |
public struct GeneratorVocabulary: Sendable, Equatable, Codable {
    public static let padding: Int32 = 0
    public static let end: Int32 = 1
    public static let start: Int32 = 2
    /// Number of special tokens before the first SID token.
    public static let specialCount = 3

    /// Codes per level (for example b1, b2, g3, or RQ-KMeans' levels plus collision codes).
    public let levelSizes: [Int]
    /// Token of code 0 at each level.
    public let levelOffsets: [Int]

    /// A vocabulary for SIDs with `levelSizes[l]` codes at level `l`.
    public init(levelSizes: [Int]) {
        precondition(
            !levelSizes.isEmpty && levelSizes.allSatisfy { $0 > 0 }, "GeneratorVocabulary: level sizes must be positive"
        )
        self.levelSizes = levelSizes
        var running = Self.specialCount
        levelOffsets = levelSizes.map { size in
            defer { running += size }
            return running
        }
    }

    /// Total tokens, specials included: the width of the output layer.
    public var count: Int { Self.specialCount + levelSizes.reduce(0, +) }
    /// Number of SID levels (tokens decoded per item).
    public var levels: Int { levelSizes.count }
    /// Every SID token (what an unconstrained decoder may emit).
    public var sidTokens: Range<Int> { Self.specialCount..<count }

    /// The tokens of an item with codes `codes`.
    public func tokens(codes: [Int]) -> [Int32] {
        precondition(codes.count == levels, "GeneratorVocabulary: \(codes.count) codes for \(levels) levels")
        return codes.enumerated().map { Int32(levelOffsets[$0] + $1) }
    }

    /// Every item's tokens, flattened `[items × levels]`, from a quantiser's table.
    /// - Throws: ``SequenceModelError`` if a code is out of its level's range.
    public func itemTokens(_ table: SIDTable) throws -> [Int32] {
        guard table.levels == levels else {
            throw SequenceModelError(
                .invalidInput, "SID table has \(table.levels) levels, the generator vocabulary \(levels)")
        }
        var out: [Int32] = []
        out.reserveCapacity(table.count * levels)
        for (item, codes) in table.codes.enumerated() {
            for (l, code) in codes.enumerated() {
                guard code >= 0, code < levelSizes[l] else {
                    throw SequenceModelError(
                        .invalidInput,
                        "item \(item): level-\(l + 1) code \(code) outside 0..<\(levelSizes[l]); size the vocabulary from the same table"
                    )
                }
                out.append(Int32(levelOffsets[l] + code))
            }
        }
        return out
    }
}
