import Data
import Tensor

/// Runs a ``SequenceRecommender`` over the leave-one-out validation or test samples in batches
/// and accumulates full-ranking Recall@K and NDCG@K.
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
        /// Recall@K and NDCG@K by name (`recall@10`, ...).
        public var metrics: [String: Double]
        /// Wall-clock seconds for the whole evaluation.
        public var seconds: Double
        /// The accumulator, for further cut-offs or merging.
        public var ranking: RankingMetrics
    }

    /// The dataset's split.
    public let split: LeaveOneOutSplit
    /// Histories per ``SequenceRecommender/recommend(histories:k:)`` call.
    public var batchSize: Int
    /// Cut-offs reported (5 and 10 by default).
    public var cutoffs: [Int]
    /// Evaluate only the first `userLimit` users (nil: all). Reports must state a limit.
    public var userLimit: Int?

    public init(split: LeaveOneOutSplit, batchSize: Int = 64, cutoffs: [Int] = [5, 10], userLimit: Int? = nil) {
        self.split = split
        self.batchSize = max(1, batchSize)
        self.cutoffs = cutoffs
        self.userLimit = userLimit
    }

    /// Scores `model` on `which`.
    /// - Parameter progress: called with a line about every tenth of the users.
    public func evaluate(
        _ model: some SequenceRecommender, on which: Split, progress: (String) -> Void = { _ in }
    ) throws -> Outcome {
        var samples = which == .test ? split.testSamples : split.validationSamples
        if let userLimit { samples = Array(samples.prefix(max(0, userLimit))) }
        var metrics = RankingMetrics(cutoffs: cutoffs)
        let k = cutoffs.max() ?? 10
        let clock = Stopwatch()
        var nextReport = max(1, samples.count / 10)
        var start = 0
        while start < samples.count {
            let batch = samples[start..<min(start + batchSize, samples.count)]
            let rankings = try model.recommend(histories: batch.map { split.history($0) }, k: k)
            for (sample, ranking) in zip(batch, rankings) {
                metrics.record(ranking: ranking, target: split.target(sample))
            }
            start += batch.count
            if start >= nextReport || start == samples.count {
                let rate = Double(start) / max(clock.elapsed, 1e-9)
                progress("\(model.name) \(which.rawValue): \(start)/\(samples.count) users, \(Int(rate)) users/s, recall@\(k) so far \(String(format: "%.4f", metrics.recall(at: k)))")
                nextReport += max(1, samples.count / 10)
            }
        }
        return Outcome(split: which, users: metrics.users, metrics: metrics.summary, seconds: clock.elapsed, ranking: metrics)
    }
}
