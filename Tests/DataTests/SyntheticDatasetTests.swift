import Testing

@testable import Data

@Suite struct SyntheticDatasetTests {
    static func generate(items: Int = 2_000, seed: UInt64 = 3) throws -> Dataset {
        try SyntheticDatasetGenerator(SyntheticConfiguration(itemCount: items, seed: seed)).generate()
    }

    @Test func deterministicForASeed() throws {
        let first = try Self.generate()
        let second = try Self.generate()
        #expect(first.interactions == second.interactions)
        for field in 0..<first.catalog.fields.count {
            #expect(first.catalog.column(field) == second.catalog.column(field))
        }
        let other = try Self.generate(seed: 4)
        #expect(other.interactions != first.interactions)
    }

    @Test func labelledSynthetic() throws {
        let dataset = try Self.generate()
        #expect(dataset.isSynthetic)
        #expect(dataset.name == "synthetic-2000items-seed3")
        #expect(dataset.catalog.fields.map(\.name) == ["item_id", "store_id", "cate1_id", "cate2_id", "cate3_id"])
    }

    @Test func categoryPathsFormAHierarchy() throws {
        let catalog = try Self.generate().catalog
        // Each level-3 value has exactly one level-2 parent, each level-2 value one level-1 parent.
        var parentOf3: [Int32: Int32] = [:], parentOf2: [Int32: Int32] = [:]
        for item in 0..<catalog.count {
            let (c1, c2, c3) = (
                catalog.code(field: 2, item: item), catalog.code(field: 3, item: item),
                catalog.code(field: 4, item: item)
            )
            #expect(c1 > 0 && c2 > 0 && c3 > 0 && catalog.code(field: 1, item: item) > 0)
            #expect(parentOf3.updateValue(c2, forKey: c3) ?? c2 == c2)
            #expect(parentOf2.updateValue(c1, forKey: c2) ?? c1 == c1)
        }
        // Stores specialise: most items of a store share its most common level-2 category.
        var byStore: [Int32: [Int32: Int]] = [:]
        for item in 0..<catalog.count {
            byStore[catalog.code(field: 1, item: item), default: [:]][catalog.code(field: 3, item: item), default: 0] +=
                1
        }
        let focused = byStore.values.reduce(0) { $0 + ($1.values.max() ?? 0) }
        #expect(Double(focused) / Double(catalog.count) > 0.6)
    }

    @Test func popularityIsSkewedAndNextItemsCoOccur() throws {
        let dataset = try Self.generate()
        let log = dataset.interactions
        var counts = [Int](repeating: 0, count: dataset.catalog.count)
        for item in log.items { counts[Int(item)] += 1 }
        let sorted = counts.sorted(by: >)
        let top1Percent = sorted.prefix(dataset.catalog.count / 100).reduce(0, +)
        #expect(Double(top1Percent) / Double(log.count) > 0.1)  // uniform would give 0.01

        // Consecutive items share a level-2 category far more often than random pairs would.
        let sequences = UserSequences(log: log)
        var same = 0, pairs = 0
        for user in 0..<sequences.userCount {
            let sequence = Array(sequences.sequence(user))
            for index in 1..<sequence.count {
                pairs += 1
                if dataset.catalog.code(field: 3, item: Int(sequence[index]))
                    == dataset.catalog.code(field: 3, item: Int(sequence[index - 1]))
                {
                    same += 1
                }
            }
        }
        #expect(Double(same) / Double(pairs) > 0.3)  // 128 level-2 categories: chance is about 1-5%
        // Sequence lengths honour the minimum, and some same-second events exist.
        #expect((0..<sequences.userCount).allSatisfy { sequences.length($0) >= 5 })
        #expect(sequences.timeTies > 0)
    }

    @Test func badSettingsAreRejected() {
        var configuration = SyntheticConfiguration(itemCount: 1_000)
        configuration.coOccurrenceProbability = 0.99
        let error = #expect(throws: DataError.self) { try SyntheticDatasetGenerator(configuration) }
        #expect(error?.field == "coOccurrenceProbability")
    }
}
