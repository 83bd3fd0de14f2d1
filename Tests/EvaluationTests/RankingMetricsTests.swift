import Evaluation
import Testing

@Suite("Ranking metrics")
struct RankingMetricsTests {
    @Test func matchesHandComputedValues() {
        var m = RankingMetrics(cutoffs: [5, 10])
        m.record(targetRank: 0)  // hit at 1: ndcg 1
        m.record(targetRank: 2)  // hit at 3: ndcg 1/log2(4) = 0.5
        m.record(targetRank: 6)  // hit at 7: only @10, ndcg 1/log2(8) = 1/3
        m.record(targetRank: nil)  // miss
        #expect(m.users == 4)
        #expect(m.recall(at: 5) == 0.5)
        #expect(m.recall(at: 10) == 0.75)
        #expect(abs(m.ndcg(at: 5) - (1 + 0.5) / 4) < 1e-12)
        #expect(abs(m.ndcg(at: 10) - (1 + 0.5 + 1.0 / 3) / 4) < 1e-12)
        #expect(m.summary["recall@10"] == 0.75)
    }

    @Test func ranksFromListsAndMerges() {
        var a = RankingMetrics(cutoffs: [1, 3])
        a.record(ranking: [7, 3, 9], target: 3)  // rank 1
        var b = RankingMetrics(cutoffs: [1, 3])
        b.record(ranking: [4, 5, 6], target: 4)  // rank 0
        b.record(ranking: [4, 5, 6], target: 1)  // not returned
        a.merge(b)
        #expect(a.users == 3)
        #expect(a.recall(at: 1) == 1.0 / 3)
        #expect(a.recall(at: 3) == 2.0 / 3)
        #expect(abs(a.ndcg(at: 3) - (1 / log2(3.0) + 1) / 3) < 1e-12)
    }

    @Test func emptyIsZero() {
        let m = RankingMetrics()
        #expect(m.recall(at: 10) == 0 && m.ndcg(at: 5) == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
