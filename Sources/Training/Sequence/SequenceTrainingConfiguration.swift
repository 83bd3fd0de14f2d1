import Data

/// How a next-item model is trained (SPEC §4 for the generator): AdamW with decoupled weight
/// decay, a cosine schedule, large batches, early stopping on validation NDCG@10, and an
/// optional wall-clock budget that every model in a comparison shares.
public struct SequenceTrainingConfiguration: Sendable, Codable {
    /// Peak learning rate (5e-3 in the paper).
    public var learningRate: Float = 5e-3
    /// AdamW weight decay (1e-5).
    public var weightDecay: Float = 1e-5
    /// Samples per optimiser step (2048).
    public var batchSize = 2048
    /// Linear warm-up steps before the cosine decay.
    public var warmupSteps = 100
    /// Global gradient-norm clip (0 disables it).
    public var gradientClip: Float = 1
    /// Most epochs; the cosine schedule spans them.
    public var maxEpochs = 20
    /// Validations without improvement of NDCG@10 before stopping (3).
    public var patience = 3
    /// Which training windows an epoch uses (the same rule must apply to every compared model).
    public var windowSampling: WindowSampling = .all
    /// Stop training after this many seconds (nil: no budget). Checked between steps; the last
    /// validation then still runs.
    public var timeBudgetSeconds: Double?
    /// Validate every this many steps (nil: once per epoch).
    public var validateEverySteps: Int?
    /// Validation users scored (nil: every user). Smaller values save time; reports say so.
    public var validationUsers: Int?
    /// Users ranked together in validation.
    public var evaluationBatchSize = 64
    /// Print a progress line every this many steps.
    public var progressEverySteps = 10
    /// Seed for initialisation, dropout and shuffling.
    public var seed: UInt64 = 42
    /// Directory for the best checkpoint (nil: keep the best weights in memory only).
    public var checkpointDirectory: String?

    public init() {}
}
