import Foundation

/// Full-ranking Recall@K and NDCG@K for leave-one-out evaluation (one held-out target per user).
///
/// With a single relevant item, Recall@K is 1 when the target is among the top K and NDCG@K is
/// `1 / log2(rank + 2)` for its 0-based rank (the ideal DCG is 1). Scores are averaged over users,
/// and each mean comes with its standard error over users (``standardError(recallAt:)``), the
/// noise to read a difference against: with 943 users and a Recall@10 near 0.09 it is about 0.009.
public struct RankingMetrics: Sendable, Equatable, Codable {
    /// The cut-offs reported, ascending (default 5 and 10, as in the paper).
    public let cutoffs: [Int]
    /// Users evaluated so far.
    public private(set) var users = 0
    private var recallSums: [Double]
    private var ndcgSums: [Double]
    /// Sums of squared per-user NDCG (recall is 0 or 1, so its squares are its sums).
    private var ndcgSquareSums: [Double]

    public init(cutoffs: [Int] = [5, 10]) {
        precondition(!cutoffs.isEmpty && cutoffs.allSatisfy { $0 > 0 }, "RankingMetrics: cut-offs must be positive")
        self.cutoffs = cutoffs.sorted()
        recallSums = Array(repeating: 0, count: cutoffs.count)
        ndcgSums = Array(repeating: 0, count: cutoffs.count)
        ndcgSquareSums = Array(repeating: 0, count: cutoffs.count)
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
            ndcgSquareSums[i] += gain * gain
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
            ndcgSquareSums[i] += other.ndcgSquareSums[i]
        }
    }

    /// Mean Recall@k over recorded users (0 when none).
    public func recall(at k: Int) -> Double { mean(recallSums, k) }

    /// Mean NDCG@k over recorded users (0 when none).
    public func ndcg(at k: Int) -> Double { mean(ndcgSums, k) }

    /// Standard error of ``recall(at:)`` over users (0 with fewer than two users).
    public func standardError(recallAt k: Int) -> Double { standardError(recallSums, recallSums, k) }

    /// Standard error of ``ndcg(at:)`` over users (0 with fewer than two users).
    public func standardError(ndcgAt k: Int) -> Double { standardError(ndcgSums, ndcgSquareSums, k) }

    /// Every metric by name (`recall@5`, `ndcg@10`, ...) and its standard error (`recall@5.se`,
    /// ...), for JSON reports.
    public var summary: [String: Double] {
        var out: [String: Double] = [:]
        for k in cutoffs {
            out["recall@\(k)"] = recall(at: k)
            out["ndcg@\(k)"] = ndcg(at: k)
            out["recall@\(k).se"] = standardError(recallAt: k)
            out["ndcg@\(k).se"] = standardError(ndcgAt: k)
        }
        return out
    }

    /// `metric ± se` for a line of progress, e.g. `R@10 0.0912 ± 0.0094`.
    public func formatted(recallAt k: Int) -> String {
        String(format: "R@%d %.4f ± %.4f", k, recall(at: k), standardError(recallAt: k))
    }

    /// `metric ± se` for a line of progress, e.g. `N@10 0.0433 ± 0.0051`.
    public func formatted(ndcgAt k: Int) -> String {
        String(format: "N@%d %.4f ± %.4f", k, ndcg(at: k), standardError(ndcgAt: k))
    }

    private func standardError(_ sums: [Double], _ squares: [Double], _ k: Int) -> Double {
        guard let i = cutoffs.firstIndex(of: k) else {
            preconditionFailure("RankingMetrics: cut-off \(k) not tracked (tracked: \(cutoffs))")
        }
        guard users > 1 else { return 0 }
        let n = Double(users)
        let mean = sums[i] / n
        let variance = max(0, (squares[i] - n * mean * mean) / (n - 1))
        return (variance / n).squareRoot()
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
