import Models
public import Training

/// The training protocol every run that trains sequence models (SASRec, the SID generators)
/// shares, so the comparison and the cold-start evaluation train under the same settings.
public struct SequenceTrainingSettings: Sendable {
    /// Most epochs per model (an epoch teaches every training target once).
    public var maxEpochs = SequenceTrainingConfiguration().maxEpochs

    /// Epochs always trained before early stopping.
    public var minEpochs = SequenceTrainingConfiguration().minEpochs

    /// Epochs without a better validation NDCG@10 before a model stops.
    public var patience = SequenceTrainingConfiguration().patienceEpochs

    /// Epochs without a better validation NDCG@10 after which the learning rate halves (0: never).
    public var plateau = SequenceTrainingConfiguration().plateauEpochs

    /// Validations per epoch (more for models with long epochs).
    public var validationsPerEpoch = SequenceTrainingConfiguration().validationsPerEpoch

    /// Windows (T5) or tiles (every-position models) per step.
    public var batch = SequenceTrainingConfiguration().batchSize

    /// Validation users per check (0: all).
    public var validationUsers = 0

    /// Validations averaged into the score that keeps the best model.
    public var validationSmoothing = SequenceTrainingConfiguration().validationSmoothing

    /// Beam width of the SID generators.
    public var beam = 50

    /// Data-parallel workers for training and evaluation.
    public var threads = 2

    /// Peak AdamW learning rate.
    public var learningRate: Float = SequenceTrainingConfiguration().learningRate

    /// Dropout of every sequence model (nil: each model's own).
    public var dropout: Float?

    /// Whether the causal SID generator's softmax runs over the trie's children (see
    /// `CausalGeneratorConfiguration.softmaxOverTrie`).
    public var softmaxOverTrie = CausalGeneratorConfiguration().softmaxOverTrie

    /// AdamW decoupled weight decay.
    public var weightDecay: Float = SequenceTrainingConfiguration().weightDecay

    /// Seed.
    public var seed: UInt64 = 42

    /// The defaults of the commands that train sequence models.
    public init() {}

    /// The trainer's configuration under these settings and a per-model time budget (nil: until
    /// validation stops improving).
    public func configuration(budget: Double?) -> SequenceTrainingConfiguration {
        var training = SequenceTrainingConfiguration()
        training.batchSize = batch
        training.learningRate = learningRate
        training.weightDecay = weightDecay
        training.timeBudgetSeconds = budget
        training.maxEpochs = maxEpochs
        training.minEpochs = minEpochs
        training.patienceEpochs = patience
        training.plateauEpochs = plateau
        training.validationsPerEpoch = validationsPerEpoch
        training.seed = seed
        training.threads = threads
        training.validationUsers = validationUsers > 0 ? validationUsers : nil
        training.validationSmoothing = validationSmoothing
        return training
    }

    /// The protocol in one line, for reports.
    public func protocolLine(budget: Double?) -> String {
        "batch \(batch), lr \(learningRate), weight decay \(weightDecay), "
            + (dropout.map { "dropout \($0), " } ?? "") + (softmaxOverTrie ? "" : "vocabulary softmax, ")
            + "\(threads) threads, "
            + (budget.map { "budget \(Int($0)) s" }
                ?? "until validation stops (min \(minEpochs), patience \(patience) epochs, rate halved after \(plateau), max \(maxEpochs))")
            + ", validation on \(validationUsers > 0 ? "\(validationUsers)" : "all") users"
            + (validationSmoothing > 1 ? ", scored by the mean of the last \(validationSmoothing)" : "")
    }
}
