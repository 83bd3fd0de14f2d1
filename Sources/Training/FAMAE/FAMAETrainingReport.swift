/// What a FAMAE training run did and reached.
public struct FAMAETrainingReport: Sendable, Codable {
    /// One evaluation after an epoch.
    public struct EpochRecord: Sendable, Codable {
        public var epoch: Int
        public var steps: Int
        public var samples: Int
        public var meanLoss: Double
        public var validationMetric1: Double
        public var validationMetric2: Double
        public var seconds: Double
    }

    public var epochs: [EpochRecord] = []
    /// Epoch (1-based) of the kept (best) model.
    public var bestEpoch = 0
    /// The selection score of the best model: mean of validation Metric 1 and Metric 2.
    public var bestScore = 0.0
    public var totalSteps = 0
    public var totalSamples = 0
    public var trainingSeconds = 0.0
    public var samplesPerSecond = 0.0
    /// Why training stopped: `max-epochs`, `early-stopping` or `time-budget`.
    public var stopReason = ""
}
