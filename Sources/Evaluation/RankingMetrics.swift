/// Full-ranking Recall@K and NDCG@K for leave-one-out evaluation (one held-out target per user).
///
/// With a single relevant item, Recall@K is 1 when the target is among the top K and NDCG@K is
/// `1 / log2(rank + 2)` for its 0-based rank (the ideal DCG is 1). Scores are averaged over users.
public struct RankingMetrics: Sendable, Equatable, Codable {
    /// The cut-offs reported, ascending (default 5 and 10, as in the paper).
    public let cutoffs: [Int]
    /// Users evaluated so far.
    public private(set) var users = 0
    private var recallSums: [Double]
    private var ndcgSums: [Double]

    public init(cutoffs: [Int] = [5, 10]) {
        precondition(!cutoffs.isEmpty && cutoffs.allSatisfy { $0 > 0 }, "RankingMetrics: cut-offs must be positive")
        self.cutoffs = cutoffs.sorted()
        recallSums = Array(repeating: 0, count: cutoffs.count)
        ndcgSums = Array(repeating: 0, count: cutoffs.count)
    }

    /// Records one user, given the 0-based rank of the target in the model's ranking, or nil when
    /// the target is not in the returned list at all (counts as a miss at every cut-off).
    public mutating func record(targetRank rank: Int?) {
        users += 1
        guard let rank else { return }
        precondition(rank >= 0, "RankingMetrics: negative rank")
        let gain = 1 / log2(Double(rank) + 2)
        for (i, k) in cutoffs.enumerated() where rank < k {
            recallSums[i] += 1
            ndcgSums[i] += gain
        }
    }

    /// Records one user from a ranked list of item indices (best first).
    public mutating func record<C: Collection>(ranking: C, target: C.Element) where C.Element: Equatable {
        record(targetRank: ranking.firstIndex(of: target).map { ranking.distance(from: ranking.startIndex, to: $0) })
    }

    /// Adds another accumulator's users (for per-worker accumulation).
    public mutating func merge(_ other: RankingMetrics) {
        precondition(other.cutoffs == cutoffs, "RankingMetrics.merge: cut-offs differ")
        users += other.users
        for i in cutoffs.indices {
            recallSums[i] += other.recallSums[i]
            ndcgSums[i] += other.ndcgSums[i]
        }
    }

    /// Mean Recall@k over recorded users (0 when none).
    public func recall(at k: Int) -> Double { mean(recallSums, k) }

    /// Mean NDCG@k over recorded users (0 when none).
    public func ndcg(at k: Int) -> Double { mean(ndcgSums, k) }

    /// Every metric by name (`recall@5`, `ndcg@10`, ...), for JSON reports.
    public var summary: [String: Double] {
        var out: [String: Double] = [:]
        for k in cutoffs {
            out["recall@\(k)"] = recall(at: k)
            out["ndcg@\(k)"] = ndcg(at: k)
        }
        return out
    }

    private func mean(_ sums: [Double], _ k: Int) -> Double {
        guard let i = cutoffs.firstIndex(of: k) else {
            preconditionFailure("RankingMetrics: cut-off \(k) not tracked (tracked: \(cutoffs))")
        }
        return users == 0 ? 0 : sums[i] / Double(users)
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
