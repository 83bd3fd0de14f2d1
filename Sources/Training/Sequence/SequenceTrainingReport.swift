/// What one sequence-model training run did: per-validation records, totals, throughput and why it
/// stopped.
public struct SequenceTrainingReport: Sendable, Codable {
    /// One validation during training.
    public struct Validation: Sendable, Codable {
        /// Epoch in progress (1-based) and fraction of it done.
        public var epoch: Double
        /// Optimiser steps so far.
        public var step: Int
        /// Mean training loss since the previous validation.
        public var meanLoss: Double
        /// Validation NDCG@10 (the selection metric) and Recall@10.
        public var ndcg10: Double
        public var recall10: Double
        /// Standard errors of the two over users.
        public var ndcg10Error: Double
        public var recall10Error: Double
        /// Users scored.
        public var users: Int
        /// Wall-clock seconds since training started.
        public var seconds: Double
    }

    public var validations: [Validation] = []
    public var totalSteps = 0
    public var totalSamples = 0
    /// Encoder and decoder tokens processed in training steps (padding excluded).
    public var totalTokens = 0
    /// Seconds spent in training steps only (no validation).
    public var stepSeconds = 0.0
    /// Whole run, validations included.
    public var trainingSeconds = 0.0
    /// Epochs trained (fractional when a budget stops mid-epoch).
    public var epochs = 0.0
    /// Index into ``validations`` of the kept model.
    public var bestValidation = -1
    /// `max-epochs`, `early-stopping` or `time-budget`.
    public var stopReason = "max-epochs"

    public init() {}

    /// Training tokens per second of step time.
    public var tokensPerSecond: Double { Double(totalTokens) / max(stepSeconds, 1e-9) }
    /// Training samples per second of step time.
    public var samplesPerSecond: Double { Double(totalSamples) / max(stepSeconds, 1e-9) }
}
