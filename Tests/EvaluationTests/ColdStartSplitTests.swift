import Data
import Testing

@testable import Evaluation

@Suite("Cold-start split")
struct ColdStartSplitTests {
    /// Six items (the last two first seen late, one with a genre only they have) and five users.
    static func split() throws -> ColdStartSplit {
        let catalog = try ItemTable(
            keys: (0..<6).map { "i\($0)" },
            fields: [ItemField(name: "genre", kind: .single, vocabulary: Vocabulary(["g0", "late"]))],
            columns: [FieldColumn(singleCodes: [1, 1, 1, 1, 2, 2])])
        var log = InteractionLog()
        let events: [(String, Int, Double)] = [
            ("u0", 0, 1), ("u0", 1, 2), ("u0", 4, 10), ("u0", 5, 12),
            ("u1", 1, 1), ("u1", 2, 3), ("u1", 3, 4), ("u1", 4, 11),
            ("u2", 0, 2), ("u2", 3, 5), ("u2", 5, 13), ("u2", 4, 14),
            ("u3", 0, 1), ("u3", 5, 12.2),
            ("u4", 1, 1), ("u4", 5, 12.4),
        ]
        for (order, event) in events.enumerated() {
            log.append(user: event.0, item: event.1, timestamp: event.2, sourceOrder: Int64(order))
        }
        let dataset = Dataset(name: "tiny", catalog: catalog, interactions: log)
        return try ColdStartSplit(
            dataset: dataset, prepared: Preprocessor(minimumEvents: 1).prepare(dataset), newItemShare: 0.3)
    }

    @Test func newItemsReachNoTrainingData() throws {
        let split = try Self.split()
        #expect(split.cutoff == 4)
        #expect(split.warmCount == 4 && split.newItems.map(\.key) == ["i4", "i5"])
        #expect(split.newItems.map(\.values) == [["genre": ["late"]], ["genre": ["late"]]])
        // Training sees only the events up to the cut-off, all on warm items, and a value only
        // new items hold is not in the warm vocabularies.
        #expect(split.warmSplit.sequences.eventCount == 8)
        #expect(split.warmSplit.sequences.items.allSatisfy { $0 < 4 })
        let genre = try #require(split.warmItems.fieldIndex(named: "genre"))
        #expect(split.warmItems.fields[genre].vocabulary.code(of: "late") == Vocabulary.unknown)
        // Every later event with an earlier one is predicted; new items keep evaluation indices
        // after the warm ones, in order of first appearance.
        #expect(split.heldOut.count == 8)
        #expect(split.heldOut.allSatisfy { split.timestamp($0) > 4 })
        #expect(Set(split.heldOut.map { split.target($0) }) == [3, 4, 5])
        #expect(split.heldOut.filter { split.isNew(split.target($0)) }.count == 7)
    }

    @Test func popularityAmongNewItemsCountsOnlyEarlierEvents() throws {
        let split = try Self.split()
        let popularity = NewItemPopularity(split: split)
        let history: ArraySlice<Int32> = [0]
        func top(_ time: Double) throws -> [Int32] {
            try popularity.recommend([ColdStartRequest(history: history, time: time)], k: 2, newOnly: false)[0]
        }
        // At 10 nothing is counted yet (the event at 10 is the one predicted): first appearance.
        #expect(try top(10) == [4, 5])
        // At 12.5: i4 has 2 earlier events (10, 11), i5 has 3 (12, 12.2, 12.4).
        #expect(try top(12.5) == [5, 4])
        #expect(try top(12.3) == [4, 5])
    }
}
