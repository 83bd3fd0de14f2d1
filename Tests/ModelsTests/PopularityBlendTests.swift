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

    @Test func uptakeReordersNewItemsAndEqualUptakeKeepsTheGeneratorsOrder() throws {
        let split = try Self.split()
        #expect(split.warmCount == 4 && split.newItems.count == 2)
        let table = SIDTable(
            codes: [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1]], levelSizes: [2, 2, 2])
        var configuration = CausalGeneratorConfiguration()
        (
            configuration.modelWidth, configuration.feedForwardWidth, configuration.heads, configuration.layers,
            configuration.historyLimit
        ) = (16, 32, 2, 1, 4)
        let model = SIDGeneratorModel.causal(
            try CausalSIDGenerator(
                configuration: configuration, vocabulary: GeneratorVocabulary(levelSizes: [2, 2, 2]), seed: 1))
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
}
