public import Data
public import Evaluation
public import Models
import Tensor

/// FAMAE's two task-aware metrics, Recall@10 over leave-one-out held-out targets.
///
/// - **Metric 1** (collaborative): every field of the target masked; catalogue items ranked by
///   `sqrt(d) · cos(h_T, fused item vector)`, the fused vector being the sum of the item's field
///   embeddings.
/// - **Metric 2** (discriminative): only `item_id` masked; items ranked by the `item_id` head's
///   logits.
///
/// Full ranking over all catalogue items; history items are not removed. A target's rank is the
/// number of items scoring strictly higher (ties count in the target's favour). Deterministic:
/// no dropout.
public struct FAMAEEvaluator: Sendable {
    /// Both metrics as Recall@K / NDCG@K accumulators.
    public struct Result: Sendable, Codable, Equatable {
        /// Metric 1 (all fields masked, fused-vector ranking).
        public var collaborative: RankingMetrics
        /// Metric 2 (item_id masked, item_id head ranking).
        public var discriminative: RankingMetrics
        /// Recall@10 of Metric 1.
        public var metric1: Double { collaborative.recall(at: 10) }
        /// Recall@10 of Metric 2.
        public var metric2: Double { discriminative.recall(at: 10) }
    }

    /// The batcher that builds evaluation batches.
    public let batcher: FAMAESampleBatcher
    /// Samples per forward pass.
    public var batchSize: Int

    /// An evaluator over `batcher`'s split.
    public init(batcher: FAMAESampleBatcher, batchSize: Int = 512) {
        self.batcher = batcher
        self.batchSize = max(1, batchSize)
    }

    /// Both metrics over `samples` (e.g. ``LeaveOneOutSplit/validationSamples``).
    public func evaluate(_ model: FAMAEModel, samples: [SampleReference]) throws -> Result {
        let j = model.configuration.fieldCount
        let scale = Float(model.configuration.dimension).squareRoot()
        var collaborative = RankingMetrics(cutoffs: [5, 10])
        var discriminative = RankingMetrics(cutoffs: [5, 10])
        try GradMode.withoutGrad {
            let fused = Variable(model.fusedItemVectors())
            let head = FAMAEHead(model: model)
            let itemTable = head.valueTable(field: 0)
            var start = 0
            while start < samples.count {
                let chunk = samples[start..<min(samples.count, start + batchSize)]
                let targets = chunk.map { Int(batcher.split.target($0)) }
                var inference = ForwardMode.inference
                let allMasked = try batcher.batch(chunk) { _ in [Bool](repeating: true, count: j) }
                let states1 = try model.targetStates(allMasked, mode: &inference)
                record(
                    Variable.scaledCosineLogits(states1, fused, scale: scale).value, targets: targets,
                    into: &collaborative)
                let idMasked = try batcher.batch(chunk) { _ in FAMAEMasking.only([0], fieldCount: j) }
                let states2 = try model.targetStates(idMasked, mode: &inference)
                // item_id code c + 1 is item c, so logit column c scores item c.
                record(
                    Variable.scaledCosineLogits(states2, itemTable, scale: scale).value, targets: targets,
                    into: &discriminative)
                start += batchSize
            }
        }
        return Result(collaborative: collaborative, discriminative: discriminative)
    }

    private func record(_ scores: Tensor, targets: [Int], into metrics: inout RankingMetrics) {
        let items = scores.shape[1]
        scores.withUnsafeBufferPointer { s in
            for (row, target) in targets.enumerated() {
                let base = row * items
                let own = s[base + target]
                var rank = 0
                for item in 0..<items where s[base + item] > own { rank += 1 }
                metrics.record(targetRank: rank)
            }
        }
    }
}
