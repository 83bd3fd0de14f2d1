import Data
import Evaluation
import Testing
import Tokenizer

@testable import Models
@testable import Training

/// New items' online popularity blended into the generator's scores in a cold-start evaluation.
@Suite("Popularity blend of new items")
struct PopularityBlendTests {
    /// Four warm items and two new ones (i4 seen at 10, 11 and 12.3, i5 at 12 and 12.2).
    static func split() throws -> ColdStartSplit {
        let catalog = try ItemTable(
            keys: (0..<6).map { "i\($0)" },
            fields: [ItemField(name: "genre", kind: .single, vocabulary: Vocabulary(["a", "b"]))],
            columns: [FieldColumn(singleCodes: [1, 2, 1, 2, 1, 2])])
        var log = InteractionLog()
        let events: [(String, Int, Double)] = [
            ("u0", 0, 1), ("u0", 1, 2), ("u0", 4, 10), ("u1", 2, 3), ("u1", 3, 4), ("u1", 4, 11),
            ("u2", 0, 2), ("u2", 5, 12), ("u3", 1, 1), ("u3", 5, 12.2), ("u4", 3, 1), ("u4", 4, 12.3),
        ]
        for (order, event) in events.enumerated() {
            log.append(user: event.0, item: event.1, timestamp: event.2, sourceOrder: Int64(order))
        }
        let dataset = Dataset(name: "blend", catalog: catalog, interactions: log)
        return try ColdStartSplit(
            dataset: dataset, prepared: Preprocessor(minimumEvents: 1).prepare(dataset), newItemShare: 0.3)
    }

    /// The six items' SIDs: the two new items share the group (1, 0).
    static let table = SIDTable(
        codes: [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1]], levelSizes: [2, 2, 2])

    /// A small untrained causal generator (seed 1).
    static func model() throws -> SIDGeneratorModel {
        var configuration = CausalGeneratorConfiguration()
        (
            configuration.modelWidth, configuration.feedForwardWidth, configuration.heads, configuration.layers,
            configuration.historyLimit
        ) = (16, 32, 2, 1, 4)
        return SIDGeneratorModel.causal(
            try CausalSIDGenerator(
                configuration: configuration, vocabulary: GeneratorVocabulary(levelSizes: [2, 2, 2]), seed: 1))
    }

    @Test func uptakeReordersNewItemsAndEqualUptakeKeepsTheGeneratorsOrder() throws {
        let split = try Self.split()
        #expect(split.warmCount == 4 && split.newItems.count == 2)
        let table = Self.table
        let model = try Self.model()
        func recommender(weight: Float) throws -> GeneratorColdStartRecommender {
            try GeneratorColdStartRecommender(
                name: "resid", model: model, table: table, warmCount: 4, beamWidth: 6, scoring: .generator,
                popularity: .init(counts: NewItemCounts(split: split), weight: weight))
        }
        func newOnly(_ recommender: GeneratorColdStartRecommender, at time: Double) throws -> [Int32] {
            try recommender.recommend([ColdStartRequest(history: [0, 1], time: time)], k: 2, newOnly: true)[0]
        }
        let generatorOrder = try newOnly(recommender(weight: 0), at: 12.5)
        // The untrained generator (seed 1) prefers i5, so the blend has something to overturn.
        #expect(generatorOrder == [5, 4])
        // At 12.25 both new items have two earlier events: the blend changes nothing.
        #expect(try newOnly(recommender(weight: 50), at: 12.25) == generatorOrder)
        // At 12.5 i4 has three to i5's two, and a heavy weight puts it first.
        #expect(try newOnly(recommender(weight: 50), at: 12.5) == [4, 5])
        // Warm items keep their generator scores: the whole-catalogue list still holds them.
        let whole = try recommender(weight: 50).recommend(
            [ColdStartRequest(history: [0, 1], time: 12.5)], k: 6, newOnly: false)[0]
        #expect(Set(whole) == Set(0..<6) && whole.firstIndex(of: 4)! < whole.firstIndex(of: 5)!)
        // One beam for the whole catalogue: the new items are still scored exactly (the new-only
        // search keeps a beam per new item), so uptake lifts i4 to the top of a list that the
        // full search alone would have filled with one item.
        let narrow = try GeneratorColdStartRecommender(
            name: "resid", model: model, table: table, warmCount: 4, beamWidth: 1, scoring: .generator,
            popularity: .init(counts: NewItemCounts(split: split), weight: 50))
        let lifted = try narrow.recommend([ColdStartRequest(history: [0, 1], time: 12.5)], k: 6, newOnly: false)[0]
        #expect(lifted.first == 4 && lifted.contains(5) && lifted.count <= 3)
        #expect(
            try narrow.recommend([ColdStartRequest(history: [0, 1], time: 12.5)], k: 2, newOnly: true)[0] == [4, 5])
    }

    /// The typical user's log-probabilities are the new items' exact scores averaged over the
    /// reference histories and centred; subtracting them leaves a user whose scores equal the
    /// average with equal generator scores, so uptake alone orders the new items.
    @Test func typicalUserReferenceIsTheCentredMeanOfExactScores() throws {
        let split = try Self.split()
        let model = try Self.model()
        let base = try GeneratorColdStartRecommender(
            name: "resid", model: model, table: Self.table, warmCount: 4, beamWidth: 1, scoring: .generator)
        let histories: [ArraySlice<Int32>] = [[0, 1], [2, 3], [1]]
        let typical = base.typicalNewItemLogProbabilities(histories, batchSize: 2)
        let exact = try GeneratorRecommender(name: "exact", model: model, table: Self.table, beamWidth: 6)
            .decode(histories)
        var means: [Double] = [0, 0]
        for row in exact.items.indices where exact.items[row] >= 4 {
            means[Int(exact.items[row]) - 4] += Double(exact.scores[row]) / Double(histories.count)
        }
        let centre = (means[0] + means[1]) / 2
        #expect(typical.count == 2)
        for i in 0..<2 { #expect(abs(Double(typical[i]) - (means[i] - centre)) < 1e-4) }

        // One reference history: that user's own relative scores are equal, so the item with
        // more uptake (i4 at 12.5) comes first whatever the generator prefers.
        let own = base.typicalNewItemLogProbabilities([[0, 1]])
        let relative = try GeneratorColdStartRecommender(
            name: "resid", model: model, table: Self.table, warmCount: 4, beamWidth: 1, scoring: .generator,
            popularity: .init(counts: NewItemCounts(split: split), weight: 0.01, typicalLogProbabilities: own))
        #expect(
            try relative.recommend([ColdStartRequest(history: [0, 1], time: 12.5)], k: 2, newOnly: true)[0] == [4, 5])
    }
}
