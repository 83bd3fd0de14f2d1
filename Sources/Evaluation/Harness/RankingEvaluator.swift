public import Data
import Foundation
import Tensor

/// Runs a ``SequenceRecommender`` over the leave-one-out validation or test samples in batches
/// and accumulates full-ranking Recall@K and NDCG@K with their standard errors.
///
/// With `threads > 1` the users are dealt out in batches to that many workers, each with its own
/// recommender from the factory (a generator's decoder session is single-threaded), and their
/// accumulators merged; the metrics do not depend on the thread count.
public struct RankingEvaluator: Sendable {
    /// Which held-out target to score.
    public enum Split: String, Sendable, Codable {
        case validation, test
    }

    /// The outcome of one evaluation.
    public struct Outcome: Sendable, Codable {
        /// The split scored.
        public var split: Split
        /// Users scored.
        public var users: Int
        /// Recall@K and NDCG@K by name (`recall@10`, ...), with standard errors (`recall@10.se`).
        public var metrics: [String: Double]
        /// Wall-clock seconds for the whole evaluation.
        public var seconds: Double
        /// The accumulator, for further cut-offs or merging.
        public var ranking: RankingMetrics
    }

    /// The dataset's split.
    public let split: LeaveOneOutSplit
    /// Histories per ``SequenceRecommender/recommend(histories:k:excluding:)`` call.
    public var batchSize: Int
    /// Cut-offs reported (5 and 10 by default).
    public var cutoffs: [Int]
    /// Evaluate only the first `userLimit` users (nil: all). Reports must state a limit.
    public var userLimit: Int?
    /// Workers scoring batches in parallel.
    public var threads: Int
    /// Leave each user's earlier items out of the rankings (a catalogue of things consumed once,
    /// like films rated in MovieLens, where an earlier item is never the next one).
    public var excludeHistory: Bool

    public init(
        split: LeaveOneOutSplit, batchSize: Int = 64, cutoffs: [Int] = [5, 10], userLimit: Int? = nil, threads: Int = 1,
        excludeHistory: Bool = false
    ) {
        self.split = split
        self.batchSize = max(1, batchSize)
        self.cutoffs = cutoffs
        self.userLimit = userLimit
        self.threads = max(1, threads)
        self.excludeHistory = excludeHistory
    }

    /// Scores `model` on `which` on one thread.
    /// - Parameter progress: called with a summary line at the end.
    public func evaluate(
        _ model: some SequenceRecommender, on which: Split, progress: (String) -> Void = { _ in }
    ) throws -> Outcome {
        var single = self
        single.threads = 1
        let box = UncheckedBox<any SequenceRecommender>(model)
        return try single.evaluate(name: model.name, on: which, progress: progress) { box.value }
    }

    /// Scores the recommenders `makeRecommender` builds (one per worker) on `which`.
    /// - Parameter progress: called with a summary line at the end.
    public func evaluate(
        name: String, on which: Split, progress: (String) -> Void = { _ in },
        makeRecommender: @escaping @Sendable () throws -> any SequenceRecommender
    ) throws -> Outcome {
        var samples = which == .test ? split.testSamples : split.validationSamples
        if let userLimit { samples = Array(samples.prefix(max(0, userLimit))) }
        let clock = Stopwatch()
        let batches = stride(from: 0, to: samples.count, by: batchSize).map {
            samples[$0..<min($0 + batchSize, samples.count)]
        }
        let workers = max(1, min(threads, batches.count))
        let k = cutoffs.max() ?? 10
        let (split, cutoffs, excludeHistory) = (self.split, self.cutoffs, self.excludeHistory)
        let partials = try ParallelWork.map(count: workers, workers: workers) { worker -> RankingMetrics in
            let model = try makeRecommender()
            var metrics = RankingMetrics(cutoffs: cutoffs)
            for index in stride(from: worker, to: batches.count, by: workers) {
                let batch = batches[index]
                let rankings = try model.recommend(
                    histories: batch.map { split.history($0) }, k: k,
                    excluding: excludeHistory ? batch.map { split.earlierItems($0) } : [])
                for (sample, ranking) in zip(batch, rankings) {
                    metrics.record(ranking: ranking, target: split.target(sample))
                }
            }
            return metrics
        }
        var metrics = RankingMetrics(cutoffs: cutoffs)
        for partial in partials { metrics.merge(partial) }
        progress(
            "\(name) \(which.rawValue): \(metrics.users) users in \(String(format: "%.1f", clock.elapsed)) s on \(workers) thread\(workers == 1 ? "" : "s"), \(metrics.formatted(recallAt: k)), \(metrics.formatted(ndcgAt: k))"
        )
        return Outcome(
            split: which, users: metrics.users, metrics: metrics.summary, seconds: clock.elapsed, ranking: metrics)
    }
}

/// Hands a non-`Sendable` recommender to the single worker of a one-thread evaluation.
private final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
