import Foundation
import Tensor
import Testing
import Tokenizer

@testable import Models

/// A deterministic scorer whose next-token distribution depends on the user and the whole
/// prefix of each row, so results only match exhaustive scoring when the search's parent
/// bookkeeping is right.
struct PrefixHashScorer: BeamScorer {
    let vocabularySize: Int
    let seed: UInt64
    private var rows: [[Int32]] = []

    init(vocabularySize: Int, seed: UInt64) {
        self.vocabularySize = vocabularySize
        self.seed = seed
    }

    /// log-softmax of pseudo-random logits keyed by (user, prefix).
    func distribution(user: Int, prefix: [Int32]) -> [Float] {
        var key = UInt64(user) &+ 1
        for t in prefix { key = key &* 1_000_003 &+ UInt64(t) &+ 1 }
        var random = SeededRandom(seed: seed).split(key)
        let logits = (0..<vocabularySize).map { _ in 3 * random.normal() }
        let peak = logits.max() ?? 0
        let logTotal = Foundation.log(logits.reduce(Float(0)) { $0 + Foundation.exp($1 - peak) })
        return logits.map { $0 - peak - logTotal }
    }

    mutating func logProbabilities(
        step: Int, users: Int, width: Int, tokens: UnsafeBufferPointer<Int32>, parents: UnsafeBufferPointer<Int32>,
        into output: UnsafeMutablePointer<Float>
    ) {
        rows =
            step == 0
            ? Array(repeating: [], count: users) : (0..<(users * width)).map { rows[Int(parents[$0])] + [tokens[$0]] }
        for r in 0..<(users * width) {
            let p = distribution(user: r / width, prefix: rows[r])
            for v in 0..<vocabularySize { output[r * vocabularySize + v] = p[v] }
        }
    }
}

@Suite("Constrained beam search")
struct GeneratorBeamSearchTests {
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

    /// Specials 0..<3, then each level's tokens.
    static func offsets(_ sizes: [Int]) -> [Int] {
        var running = 3
        return sizes.map { size in
            defer { running += size }; return running
        }
    }

    /// Also with each step renormalised over the prefix's children (a generator whose softmax
    /// runs over the trie).
    @Test(arguments: [false, true])
    func beamOfAllItemsMatchesExhaustiveScoring(normalizesOverChildren: Bool) throws {
        let sizes = [4, 5, 6]
        let table = Self.randomTable(count: 70, sizes: sizes, seed: 11)
        let trie = try SIDTrie(table: table)
        let offsets = Self.offsets(sizes)
        let vocabulary = 3 + sizes.reduce(0, +)
        var scorer = PrefixHashScorer(vocabularySize: vocabulary, seed: 5)
        let search = ConstrainedBeamSearch(
            beamWidth: table.count, tokenOffsets: offsets, unconstrainedTokens: 3..<vocabulary)
        search.normalizesOverChildren = normalizesOverChildren
        let users = 3
        let result = search.search(&scorer, users: users, trie: trie)
        #expect(result.invalidBeams == 0)
        #expect(result.width == table.count)
        for u in 0..<users {
            let exhaustive = Self.exhaustiveScores(
                scorer, user: u, table: table, offsets: offsets, normalizesOverChildren: normalizesOverChildren
            ).enumerated().sorted { $0.element > $1.element }
            let ranking = result.ranking(user: u, k: table.count)
            #expect(ranking.map(Int.init) == exhaustive.map(\.offset))
            for (j, expected) in exhaustive.enumerated() {
                #expect(abs(result.scores[u * result.width + j] - expected.element) < 1e-4)
            }
        }
    }

    /// Exhaustive item scores (sum of token log-probabilities) for `user`, by item; with
    /// `normalizesOverChildren` each token's log-probability is taken relative to the tokens
    /// of every item sharing its prefix.
    static func exhaustiveScores(
        _ scorer: PrefixHashScorer, user: Int, table: SIDTable, offsets: [Int], normalizesOverChildren: Bool = false
    ) -> [Float] {
        table.codes.map { codes in
            var prefix: [Int32] = []
            var total: Float = 0
            for (l, code) in codes.enumerated() {
                let token = Int32(offsets[l] + code)
                let p = scorer.distribution(user: user, prefix: prefix)
                total += p[Int(token)]
                if normalizesOverChildren {
                    let siblings = Set(table.codes.filter { Array($0[..<l]) == Array(codes[..<l]) }.map { $0[l] })
                    total -= Foundation.log(siblings.map { Foundation.exp(p[offsets[l] + $0]) }.reduce(0, +))
                }
                prefix.append(token)
            }
            return total
        }
    }

    /// With every item in the beam, a bonus adds exactly to its items' scores and re-orders the
    /// ranking accordingly; items without one keep their log-probability.
    @Test func itemBonusAddsToFinishedScores() throws {
        let sizes = [4, 5, 6]
        let table = Self.randomTable(count: 60, sizes: sizes, seed: 21)
        let trie = try SIDTrie(table: table)
        let offsets = Self.offsets(sizes)
        let vocabulary = 3 + sizes.reduce(0, +)
        var scorer = PrefixHashScorer(vocabularySize: vocabulary, seed: 4)
        let search = ConstrainedBeamSearch(
            beamWidth: table.count, tokenOffsets: offsets, unconstrainedTokens: 3..<vocabulary)
        let bonuses: [(item: Int32, bonus: Float)] = [(3, 2.5), (17, -1.25), (42, 6)]
        search.bonus = ItemScoreBonus(trie: trie, bonuses: bonuses)
        let result = search.search(&scorer, users: 2, trie: trie)
        for u in 0..<2 {
            var expected = Self.exhaustiveScores(scorer, user: u, table: table, offsets: offsets)
            for (item, bonus) in bonuses { expected[Int(item)] += bonus }
            let order = expected.indices.sorted { expected[$0] > expected[$1] }
            #expect(result.ranking(user: u, k: table.count).map(Int.init) == order)
            for j in 0..<result.width {
                let row = u * result.width + j
                #expect(abs(result.scores[row] - expected[Int(result.items[row])]) < 1e-4)
            }
        }
    }

    /// The per-node bounds keep the path to a lifted item open: a narrow beam that prunes the
    /// user's least likely item finds it first once the item has a large enough bonus.
    @Test func itemBonusLiftsAnItemTheNarrowSearchPrunes() throws {
        let sizes = [5, 5, 6]
        let table = Self.randomTable(count: 100, sizes: sizes, seed: 8)
        let trie = try SIDTrie(table: table)
        let offsets = Self.offsets(sizes)
        let vocabulary = 3 + sizes.reduce(0, +)
        var scorer = PrefixHashScorer(vocabularySize: vocabulary, seed: 13)
        let search = ConstrainedBeamSearch(beamWidth: 3, tokenOffsets: offsets, unconstrainedTokens: 3..<vocabulary)
        let scores = Self.exhaustiveScores(scorer, user: 0, table: table, offsets: offsets)
        let worst = try #require(scores.indices.min { scores[$0] < scores[$1] })
        let plain = search.search(&scorer, users: 1, trie: trie)
        #expect(!plain.ranking(user: 0, k: 3).contains(Int32(worst)))

        let lift = scores.max()! - scores[worst] + 1
        search.bonus = ItemScoreBonus(trie: trie, bonuses: [(Int32(worst), lift)])
        let lifted = search.search(&scorer, users: 1, trie: trie)
        #expect(lifted.ranking(user: 0, k: 1) == [Int32(worst)])
        #expect(abs(lifted.scores[0] - (scores[worst] + lift)) < 1e-4)
    }

    /// Each user's left-out items never end a beam, the rest keep their exhaustive order, and the
    /// flags are cleared for the next search.
    @Test func excludedItemsNeverEndABeamAndTheRestKeepTheirOrder() throws {
        let sizes = [3, 4, 5]
        let table = Self.randomTable(count: 40, sizes: sizes, seed: 3)
        let trie = try SIDTrie(table: table)
        let vocabulary = 3 + sizes.reduce(0, +)
        let search = ConstrainedBeamSearch(
            beamWidth: table.count, tokenOffsets: Self.offsets(sizes), unconstrainedTokens: 3..<vocabulary)
        var scorer = PrefixHashScorer(vocabularySize: vocabulary, seed: 9)
        let full = search.search(&scorer, users: 2, trie: trie)
        let excluded: [ArraySlice<Int32>] = [[0, 7, 39, 7], []]
        let cut = search.search(&scorer, users: 2, trie: trie, excluding: excluded)
        for u in 0..<2 {
            let expected = full.ranking(user: u, k: table.count).filter { !excluded[u].contains($0) }
            #expect(cut.ranking(user: u, k: table.count) == expected)
        }
        let again = search.search(&scorer, users: 2, trie: trie)
        #expect(again.ranking(user: 0, k: table.count) == full.ranking(user: 0, k: table.count))
    }

    /// Items that took their SID after training (cold) score their last code as the mean
    /// probability of their group's trained items; trained items keep their own scores.
    @Test func coldItemsScoreAsTheirGroupsAverageMember() throws {
        let sizes = [4, 5, 6]
        let table = Self.randomTable(count: 70, sizes: sizes, seed: 11)
        var trie = try SIDTrie(table: table)
        // Cold items: free last codes of existing groups, appended after the trained ones.
        var cold: [[Int]] = []
        for prefix in Set(table.codes.map { Array($0.prefix(2)) }).sorted(by: { $0.lexicographicallyPrecedes($1) })
            .prefix(5)
        {
            let held = Set(table.codes.filter { Array($0.prefix(2)) == prefix }.map { $0[2] })
            if let free = (0..<sizes[2]).first(where: { !held.contains($0) }) { cold.append(prefix + [free]) }
        }
        trie.firstColdItem = Int32(table.count)
        for (offset, sid) in cold.enumerated() { try trie.insert(codes: sid, item: table.count + offset) }
        let offsets = Self.offsets(sizes)
        let vocabulary = 3 + sizes.reduce(0, +)
        var scorer = PrefixHashScorer(vocabularySize: vocabulary, seed: 5)
        let all = table.codes + cold
        let search = ConstrainedBeamSearch(
            beamWidth: all.count, tokenOffsets: offsets, unconstrainedTokens: 3..<vocabulary)
        search.coldItemScoring = .groupMean
        let result = search.search(&scorer, users: 1, trie: trie)
        #expect(result.invalidBeams == 0 && result.beams == all.count)
        for (item, codes) in all.enumerated() {
            var prefix: [Int32] = []
            var total: Float = 0
            for (l, code) in codes.enumerated() {
                let token = Int32(offsets[l] + code)
                let p = scorer.distribution(user: 0, prefix: prefix)
                if l == 2, item >= table.count {
                    let siblings = table.codes.filter { Array($0.prefix(2)) == Array(codes.prefix(2)) }
                    total += log(siblings.map { exp(p[offsets[2] + $0[2]]) }.reduce(0, +) / Float(siblings.count))
                } else {
                    total += p[Int(token)]
                }
                prefix.append(token)
            }
            let row = result.items.firstIndex(of: Int32(item))!
            #expect(abs(result.scores[row] - total) < 1e-4, "item \(item)")
        }
    }

    /// With the group mean split by the generator, a group's cold items together get `cold count
    /// × group mean`, in proportion to `p^exponent` of their own tokens; the generator scoring
    /// leaves their tokens' probabilities as they are. A trie of only the cold items, with the
    /// trained SIDs as reference codes, scores them exactly as the full trie does.
    @Test(arguments: [
        ColdItemScoring.groupMeanSplitByGenerator(exponent: 1), .groupMeanSplitByGenerator(exponent: 0.5), .generator,
        .groupMean,
    ])
    func coldItemScoringsMatchExhaustiveScoring(_ scoring: ColdItemScoring) throws {
        let sizes = [4, 5, 8]
        let table = Self.randomTable(count: 60, sizes: sizes, seed: 13)
        // Cold items: every free last code of the first six groups.
        var cold: [[Int]] = []
        for prefix in Set(table.codes.map { Array($0.prefix(2)) }).sorted(by: { $0.lexicographicallyPrecedes($1) })
            .prefix(6)
        {
            let held = Set(table.codes.filter { Array($0.prefix(2)) == prefix }.map { $0[2] })
            cold += (0..<sizes[2]).filter { !held.contains($0) }.prefix(3).map { prefix + [$0] }
        }
        var full = try SIDTrie(table: table)
        full.firstColdItem = Int32(table.count)
        var coldOnly = try SIDTrie(levels: 3)
        coldOnly.firstColdItem = Int32(table.count)
        for (offset, sid) in cold.enumerated() {
            try full.insert(codes: sid, item: table.count + offset)
            try coldOnly.insert(codes: sid, item: table.count + offset)
        }
        for codes in table.codes { try coldOnly.addReference(codes: codes) }
        let offsets = Self.offsets(sizes)
        let vocabulary = 3 + sizes.reduce(0, +)
        let all = table.codes + cold
        let search = ConstrainedBeamSearch(
            beamWidth: all.count, tokenOffsets: offsets, unconstrainedTokens: 3..<vocabulary)
        search.coldItemScoring = scoring
        var scorer = PrefixHashScorer(vocabularySize: vocabulary, seed: 7)
        func expected(_ item: Int) -> Float {
            let codes = all[item]
            var prefix: [Int32] = []
            var total: Float = 0
            for (l, code) in codes.enumerated() {
                let p = scorer.distribution(user: 0, prefix: prefix)
                if l == 2, item >= table.count, scoring != .generator {
                    let group = Array(codes.prefix(2))
                    let trained: [Float] = table.codes.filter { Array($0.prefix(2)) == group }.map {
                        (c: [Int]) -> Float in exp(p[offsets[2] + c[2]])
                    }
                    let mean: Float = trained.reduce(0, +) / Float(trained.count)
                    let coldCodes = cold.filter { Array($0.prefix(2)) == group }.map { $0[2] }
                    if case .groupMeanSplitByGenerator(let e) = scoring {
                        let weights: [Float] = coldCodes.map { (c: Int) -> Float in pow(exp(p[offsets[2] + c]), e) }
                        let own: Float = pow(exp(p[offsets[2] + code]), e)
                        let share: Float = Float(coldCodes.count) * mean * own / weights.reduce(0, +)
                        total += log(share)
                    } else {
                        total += log(mean)
                    }
                } else {
                    total += p[offsets[l] + code]
                }
                prefix.append(Int32(offsets[l] + code))
            }
            return total
        }
        let result = search.search(&scorer, users: 1, trie: full)
        #expect(result.invalidBeams == 0 && result.beams == all.count)
        for item in all.indices {
            let row = result.items.firstIndex(of: Int32(item))!
            #expect(abs(result.scores[row] - expected(item)) < 1e-4, "item \(item) under \(scoring.name)")
        }
        // Only the cold items: the same scores, in the same order.
        let restricted = search.search(&scorer, users: 1, trie: coldOnly)
        #expect(restricted.beams == cold.count)
        for j in 0..<restricted.beams {
            let item = Int(restricted.items[j])
            #expect(item >= table.count && abs(restricted.scores[j] - expected(item)) < 1e-4)
        }
    }

    @Test func trieNeverEmitsAnInvalidSID() throws {
        let sizes = [8, 8, 16]
        let table = Self.randomTable(count: 400, sizes: sizes, seed: 12)
        let trie = try SIDTrie(table: table)
        let offsets = Self.offsets(sizes)
        let vocabulary = 3 + sizes.reduce(0, +)
        let search = ConstrainedBeamSearch(beamWidth: 50, tokenOffsets: offsets, unconstrainedTokens: 3..<vocabulary)
        for seed in 0..<4 {
            var scorer = PrefixHashScorer(vocabularySize: vocabulary, seed: UInt64(seed))
            let result = search.search(&scorer, users: 6, trie: trie)
            #expect(result.beams == 6 * 50)
            #expect(result.invalidBeams == 0)
            for u in 0..<6 {
                let ranking = result.ranking(user: u, k: 50)
                #expect(ranking.count == 50 && Set(ranking).count == 50)
                #expect(
                    zip(result.scores[(u * 50)..<(u * 50 + 49)], result.scores[(u * 50 + 1)..<(u * 50 + 50)]).allSatisfy
                    { $0 >= $1 })
            }
            // The same scorer without the trie mostly decodes token sequences that are no item.
            var free = PrefixHashScorer(vocabularySize: vocabulary, seed: UInt64(seed))
            let unconstrained = search.search(&free, users: 6, trie: trie, constrained: false)
            #expect(unconstrained.beams == 6 * 50)
            #expect(unconstrained.invalidBeams > 0)
        }
    }

    @Test func smallCataloguesGiveFewerBeams() throws {
        let trie = try SIDTrie(table: SIDTable(codes: [[0, 1, 0], [2, 0, 0], [2, 0, 1]], levelSizes: [3, 2, 2]))
        let search = ConstrainedBeamSearch(beamWidth: 50, tokenOffsets: [3, 6, 8], unconstrainedTokens: 3..<10)
        var scorer = PrefixHashScorer(vocabularySize: 10, seed: 1)
        let result = search.search(&scorer, users: 2, trie: trie)
        #expect(result.width == 3 && result.beams == 6 && result.invalidBeams == 0)
        #expect(Set(result.ranking(user: 1, k: 10)) == [0, 1, 2])
        // Reusing the search with more users grows its buffers.
        let bigger = search.search(&scorer, users: 9, trie: trie)
        #expect(bigger.beams == 27)
    }
}
