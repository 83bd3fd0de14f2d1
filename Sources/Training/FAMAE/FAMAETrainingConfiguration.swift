public import Data

/// How FAMAE is trained, and how long.
public struct FAMAETrainingConfiguration: Sendable, Codable, Equatable {
    /// Samples per step (paper: 2048).
    public var batchSize = 2048
    /// Peak AdamW learning rate.
    public var learningRate: Float = 1e-3
    /// AdamW decoupled weight decay.
    public var weightDecay: Float = 1e-5
    /// Linear warm-up steps before the cosine decay (a small fraction of training).
    public var warmupFraction: Double = 0.02
    /// Upper bound on epochs.
    public var maxEpochs = 20
    /// Stop after this many evaluations without improvement of the selection score.
    public var patience = 3
    /// Wall-clock budget in seconds for the training loop (`nil`: none). Steps stop when the
    /// next epoch's evaluation would no longer fit.
    public var timeBudget: Double?
    /// Which training windows an epoch uses.
    public var sampling: WindowSampling = .randomPerEpoch(100_000)
    /// Validation users evaluated after each epoch (`nil`: all).
    public var validationLimit: Int?
    /// Seed for initialisation, masking, negatives, dropout and window order.
    public var seed: UInt64 = 1
    /// Data-parallel workers (each takes a share of every batch; one optimiser step).
    public var threads = 1
    /// Print a progress line every this many steps.
    public var logEvery = 10
    /// Directory for the resume state written after every epoch (`nil`: none).
    public var checkpointDirectory: String?
    /// Continue from the resume state in ``checkpointDirectory`` when there is one.
    public var resume = false

    /// The defaults.
    public init() {}

    /// The settings that decide the run's trajectory: a resume state written under others is
    /// refused. The budget, the thread count (float rounding only), logging and checkpointing
    /// may change between interruptions.
    var trajectoryFingerprint: String {
        var copy = self
        copy.timeBudget = nil
        copy.threads = 1
        copy.logEvery = 0
        copy.checkpointDirectory = nil
        copy.resume = false
        return String(describing: copy)
    }
}
