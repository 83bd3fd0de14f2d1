import Tensor
import Testing

@testable import Tokenizer

@Suite("SID trie")
struct SIDTrieTests {
    /// A table of `count` distinct random SIDs over levels of the given sizes.
    static func randomTable(count: Int, sizes: [Int], seed: UInt64) -> SIDTable {
        var rng = SeededRandom(seed: seed)
        var seen = Set<[Int]>()
        var codes: [[Int]] = []
        while codes.count < count {
            let sid = sizes.map { rng.int(below: $0) }
            if seen.insert(sid).inserted { codes.append(sid) }
        }
        return SIDTable(codes: codes, levelSizes: sizes)
    }

    @Test func mapsEveryCompleteSIDBackToItsItem() throws {
        let table = Self.randomTable(count: 300, sizes: [8, 8, 12], seed: 1)
        let trie = try SIDTrie(table: table)
        #expect(trie.count == 300)
        for (item, codes) in table.codes.enumerated() {
            #expect(trie.item(codes: codes) == item)
            #expect(trie.sid(ofItem: item) == codes)
        }
        // Prefixes, over-long sequences and absent SIDs are no item.
        #expect(trie.item(codes: Array(table.codes[0].prefix(2))) == nil)
        #expect(trie.item(codes: table.codes[0] + [0]) == nil)
        var absent = 0
        for a in 0..<8 {
            for b in 0..<8 {
                for c in 0..<12 where !table.codes.contains([a, b, c]) {
                    #expect(trie.item(codes: [a, b, c]) == nil)
                    absent += 1
                }
            }
        }
        #expect(absent == 8 * 8 * 12 - 300)
    }

    @Test func everyPathThroughTheTrieIsAnItem() throws {
        let table = Self.randomTable(count: 200, sizes: [5, 7, 9], seed: 2)
        let trie = try SIDTrie(table: table)
        var reached: [Int] = []
        func walk(_ node: Int32, _ prefix: [Int]) {
            trie.withChildren(of: node) { codes, children in
                #expect(codes.count == children.count)
                #expect(zip(codes, codes.dropFirst()).allSatisfy { $0 < $1 }, "codes must be sorted and unique")
                for (code, child) in zip(codes, children) {
                    let path = prefix + [Int(code)]
                    if path.count == trie.levels {
                        #expect(table.codes[Int(child)] == path)
                        reached.append(Int(child))
                    } else {
                        walk(child, path)
                    }
                }
            }
        }
        walk(SIDTrie.root, [])
        #expect(reached.sorted() == Array(0..<200))
        #expect(trie.levelCardinalities.enumerated().allSatisfy { $1 <= [5, 7, 9][$0] })
    }

    @Test func rejectsDuplicateSIDsAndChangedSIDs() throws {
        var trie = try SIDTrie(levels: 3)
        try trie.insert(codes: [1, 2, 3], item: 0)
        try trie.insert(codes: [1, 2, 3], item: 0)  // replay is a no-op
        #expect(trie.count == 1)
        #expect(throws: TokenizerError.self) { try trie.insert(codes: [1, 2, 3], item: 1) }
        #expect(throws: TokenizerError.self) { try trie.insert(codes: [1, 2, 4], item: 0) }
        #expect(throws: TokenizerError.self) { try trie.insert(codes: [1, 2], item: 2) }
        #expect(throws: TokenizerError.self) { try trie.insert(codes: [1, -2, 0], item: 2) }
        #expect(throws: TokenizerError.self) { try SIDTrie(levels: 0) }
        #expect(trie.count == 1)
    }

    @Test func snapshotsDoNotSeeLaterInserts() throws {
        let live = LiveSIDTrie(try SIDTrie(table: Self.randomTable(count: 50, sizes: [4, 4, 8], seed: 3)))
        let before = live.snapshot()
        try live.insert([(item: 50, codes: [9, 0, 0]), (item: 51, codes: [9, 0, 1])])
        let after = live.snapshot()
        #expect(before.count == 50 && before.item(codes: [9, 0, 0]) == nil)
        #expect(after.count == 52 && after.item(codes: [9, 0, 1]) == 51)
        // A failing batch changes nothing, not even its valid first entry.
        #expect(throws: TokenizerError.self) {
            try live.insert([(item: 52, codes: [9, 0, 2]), (item: 53, codes: [9, 0, 0])])
        }
        #expect(live.count == 52 && live.snapshot().item(codes: [9, 0, 2]) == nil)
    }

    @Test func concurrentReadersSeeConsistentSnapshots() async throws {
        let live = LiveSIDTrie(try SIDTrie(levels: 3))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for item in 0..<400 { try? live.insert([(item: item, codes: [item / 64, (item / 8) % 8, item % 8])]) }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<200 {
                        let snapshot = live.snapshot()
                        // Items arrive in order, so a snapshot of n items holds exactly 0..<n.
                        let n = snapshot.count
                        for item in Swift.stride(from: 0, to: n, by: 7) {
                            if snapshot.item(codes: [item / 64, (item / 8) % 8, item % 8]) != item {
                                Issue.record("item \(item) missing from snapshot of \(n)")
                            }
                        }
                        if snapshot.item(codes: [n / 64, (n / 8) % 8, n % 8]) != nil {
                            Issue.record("snapshot of \(n) sees item \(n)")
                        }
                    }
                }
            }
        }
        #expect(live.count == 400)
    }
}
