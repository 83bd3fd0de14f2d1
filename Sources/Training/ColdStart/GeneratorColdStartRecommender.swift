import Evaluation
import Models
import Tokenizer

/// A SID generator in a cold-start evaluation: beam search over a trie of every item (warm and
/// new) for the whole-catalogue lists, and over a trie of the new items alone for the new-only
/// lists, both scoring new items' last codes by the same ``ColdItemScoring``.
///
/// The new-only trie carries the warm items' SIDs as reference codes, so a new item's group is
/// judged by the same trained members as in the full trie and both searches score it alike.
public final class GeneratorColdStartRecommender: ColdStartRecommender {
    public let name: String
    private let full: GeneratorRecommender
    private let newOnly: GeneratorRecommender

    /// - Parameters:
    ///   - table: the SIDs of the warm items (the generator's training catalogue), then of the
    ///     new items, in evaluation-index order.
    ///   - warmCount: the number of warm items; items from here on are cold.
    /// - Throws: when a SID does not fit the generator's vocabulary (an overflow code).
    public init(name: String, model: SIDGeneratorModel, table: SIDTable, warmCount: Int, beamWidth: Int, scoring: ColdItemScoring) throws {
        self.name = name
        full = try GeneratorRecommender(name: name, model: model, table: table, beamWidth: beamWidth)
        full.trie.firstColdItem = Int32(warmCount)
        full.search.coldItemScoring = scoring
        newOnly = try GeneratorRecommender(name: name, model: model, table: table, beamWidth: beamWidth)
        var trie = try SIDTrie(levels: table.levels)
        trie.firstColdItem = Int32(warmCount)
        for item in warmCount..<table.count { try trie.insert(codes: table.codes[item], item: item) }
        for item in 0..<warmCount { try trie.addReference(codes: table.codes[item]) }
        newOnly.trie = trie
        newOnly.search.coldItemScoring = scoring
    }

    public func recommend(_ requests: [ColdStartRequest], k: Int, newOnly restricted: Bool) throws -> [[Int32]] {
        try (restricted ? newOnly : full).recommend(histories: requests.map(\.history), k: k)
    }
}
