public import Evaluation
import Foundation
public import Models
public import Tokenizer

/// A SID generator in a cold-start evaluation: beam search over a trie of every item (warm and
/// new) for the whole-catalogue lists, and over a trie of the new items alone for the new-only
/// lists, both scoring new items' last codes by the same ``ColdItemScoring``.
///
/// The new-only trie carries the warm items' SIDs as reference codes, so a new item's group is
/// judged by the same trained members as in the full trie and both searches score it alike.
///
/// With a ``PopularityBlend`` the finished beams of new items are re-scored by how many
/// interactions each had before the prediction: the generator knows the user's taste for a
/// new item's group but nothing about the item's uptake, which a live system observes.
public final class GeneratorColdStartRecommender: ColdStartRecommender {
    /// New items' online popularity as a factor on their generator probability:
    /// `p · (share · newItems)^weight`, where `share = (n + 1) / Σ (n' + 1)` over the new items
    /// (`n` their interactions before the prediction). An item of average uptake keeps its
    /// score, so the blend moves new items against each other and against warm items only as
    /// far as their uptake departs from the average. Weight 0 is the generator alone.
    ///
    /// With ``typicalLogProbabilities`` the generator's score of a new item is taken relative
    /// to what it gives the typical user: `log p(i | user) − log p̄(i)` (centred over the new
    /// items, so the average new item keeps its score against warm items). Why: `p(i | user)`
    /// mixes the user's taste for the item's group with how popular that group was before the
    /// cut-off, and the second part competes with the live uptake, which knows better. What is
    /// left is the user's lift over the typical user, which uptake cannot know.
    public struct PopularityBlend: Sendable {
        public var counts: NewItemCounts
        public var weight: Float
        /// Each new item's mean generator log-probability over reference users, centred to a
        /// zero mean over the new items (see ``GeneratorColdStartRecommender/typicalNewItemLogProbabilities(_:)``),
        /// or nil to use the generator's score as it is.
        public var typicalLogProbabilities: [Float]?

        public init(counts: NewItemCounts, weight: Float, typicalLogProbabilities: [Float]? = nil) {
            self.counts = counts
            self.weight = weight
            self.typicalLogProbabilities = typicalLogProbabilities
        }
    }

    public let name: String
    private let full: GeneratorRecommender
    private let newOnly: GeneratorRecommender
    private let warmCount: Int
    private let newCount: Int
    private let popularity: PopularityBlend?

    /// - Parameters:
    ///   - table: the SIDs of the warm items (the generator's training catalogue), then of the
    ///     new items, in evaluation-index order.
    ///   - warmCount: the number of warm items; items from here on are cold.
    ///   - beamWidth: beams per user of the whole-catalogue search; the new-only search keeps
    ///     at least one beam per new item, so it scores every new item exactly.
    ///   - popularity: the online-popularity blend of new items (nil: none).
    /// - Throws: when a SID does not fit the generator's vocabulary (an overflow code).
    public init(
        name: String, model: SIDGeneratorModel, table: SIDTable, warmCount: Int, beamWidth: Int,
        scoring: ColdItemScoring,
        popularity: PopularityBlend? = nil
    ) throws {
        self.name = name
        self.warmCount = warmCount
        newCount = table.count - warmCount
        self.popularity = popularity
        full = try GeneratorRecommender(name: name, model: model, table: table, beamWidth: beamWidth)
        full.trie.firstColdItem = Int32(warmCount)
        full.search.coldItemScoring = scoring
        // A trie with no more leaves than beams is searched exhaustively: every level keeps all
        // of its prefixes, so each new item gets its exact score.
        newOnly = try GeneratorRecommender(
            name: name, model: model, table: table, beamWidth: max(beamWidth, table.count - warmCount))
        var trie = try SIDTrie(levels: table.levels)
        trie.firstColdItem = Int32(warmCount)
        for item in warmCount..<table.count { try trie.insert(codes: table.codes[item], item: item) }
        for item in 0..<warmCount { try trie.addReference(codes: table.codes[item]) }
        newOnly.trie = trie
        newOnly.search.coldItemScoring = scoring
    }

    /// Each new item's mean log-probability under the generator over `histories` (reference
    /// users' histories), centred to a zero mean over the new items: the generator's view of
    /// the typical user, for ``PopularityBlend/typicalLogProbabilities``. Every new item is
    /// scored exactly (the new-only search).
    public func typicalNewItemLogProbabilities(_ histories: [ArraySlice<Int32>], batchSize: Int = 64) -> [Float] {
        var sums = [Double](repeating: 0, count: newCount)
        var seen = [Int](repeating: 0, count: newCount)
        for start in stride(from: 0, to: histories.count, by: batchSize) {
            let result = newOnly.decode(Array(histories[start..<min(start + batchSize, histories.count)]))
            for row in result.items.indices where result.items[row] >= 0 && result.scores[row].isFinite {
                let newIndex = Int(result.items[row]) - warmCount
                sums[newIndex] += Double(result.scores[row])
                seen[newIndex] += 1
            }
        }
        let means = zip(sums, seen).map { $1 > 0 ? $0 / Double($1) : 0 }
        let centre = means.reduce(0, +) / Double(max(1, newCount))
        return means.map { Float($0 - centre) }
    }

    /// Without a blend, beam search over the chosen trie. With one, every new item is scored
    /// exactly (the new-only search) and re-scored by its uptake, so an item the generator alone
    /// would have pruned can still rise; whole-catalogue lists merge those with the warm items
    /// of the full search (the two searches score an item alike, so the scores compare).
    public func recommend(_ requests: [ColdStartRequest], k: Int, newOnly restricted: Bool) throws -> [[Int32]] {
        guard let popularity, popularity.weight != 0 else {
            return try (restricted ? newOnly : full).recommend(histories: requests.map(\.history), k: k)
        }
        let histories = requests.map(\.history)
        let fresh = newOnly.decode(histories)
        let warm = restricted ? nil : full.decode(histories)
        return requests.indices.map { user in
            let counts = popularity.counts.counts(before: requests[user].time)
            let scale = Float(counts.count) / Float(counts.reduce(counts.count, +))
            var beams: [(score: Float, item: Int32)] = []
            for row in (user * fresh.width)..<((user + 1) * fresh.width) where fresh.items[row] >= 0 {
                let newIndex = Int(fresh.items[row]) - warmCount
                let uptake = popularity.weight * logf(scale * Float(counts[newIndex] + 1))
                let typical = popularity.typicalLogProbabilities?[newIndex] ?? 0
                beams.append((fresh.scores[row] - typical + uptake, fresh.items[row]))
            }
            if let warm {
                for row in (user * warm.width)..<((user + 1) * warm.width)
                where warm.items[row] >= 0 && Int(warm.items[row]) < warmCount {
                    beams.append((warm.scores[row], warm.items[row]))
                }
            }
            // Stable on ties: the generator's order decides.
            return beams.enumerated().sorted {
                $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset
            }
            .prefix(k).map(\.element.item)
        }
    }
}
