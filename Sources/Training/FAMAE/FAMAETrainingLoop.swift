/// The ``FAMAETrainer``'s counters between epochs: FAMAE runs resume at an epoch boundary
/// (each epoch's windows come from `(seed, epoch)`).
struct FAMAETrainingLoop: ResumableLoop {
    static let format = "resid-famae-training-state/1"

    var fingerprint: String
    var parameterShapes: [[Int]]
    /// The next epoch to train (0-based).
    var epoch: Int
    var report: FAMAETrainingReport
    var bestScore: Double
    var sinceBest: Int
    var scheduleTotalSteps: Int
    var scheduleWarmupSteps: Int
    var replanned: Bool
    /// Seconds trained (validation included) before this state was written.
    var elapsedSeconds: Double
    /// Of those, seconds spent validating.
    var evaluationSeconds: Double
    /// The run ended; resuming only restores the best parameters.
    var finished: Bool
}
