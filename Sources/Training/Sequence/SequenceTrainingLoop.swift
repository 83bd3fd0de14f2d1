/// The ``SequenceTrainer``'s counters.
struct SequenceTrainingLoop: ResumableLoop {
    static let format = "resid-training-state/2"

    var fingerprint: String
    var parameterShapes: [[Int]]
    var epoch: Int
    /// Windows of `epoch` already trained.
    var position: Int
    var report: SequenceTrainingReport
    var bestScore: Double
    var bestEpoch: Double
    var lossSum: Double
    var lossSteps: Int
    var scheduleTotalSteps: Int
    var scheduleWarmupSteps: Int
    var planned: Bool
    /// Decays of the learning rate on validation plateaus so far.
    var plateau: LearningRatePlateau
    /// Training seconds before this state was written (budgets span interruptions).
    var elapsedSeconds: Double
    /// The run ended (the state holds its final report; resuming only restores the best).
    var finished: Bool
}
