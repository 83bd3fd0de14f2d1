import ArgumentParser
import Harness
import Training

/// The training protocol options every command that trains sequence models (SASRec, the SID
/// generators) shares, so `compare` and `evaluate-coldstart` train under the same flags; they
/// fill ``SequenceTrainingSettings``.
struct SequenceTrainingOptions: ParsableArguments {
    @Option(help: "Most epochs per model (an epoch teaches every training target once).")
    var maxEpochs = SequenceTrainingConfiguration().maxEpochs

    @Option(help: "Epochs always trained before early stopping.")
    var minEpochs = SequenceTrainingConfiguration().minEpochs

    @Option(help: "Epochs without a better validation NDCG@10 before a model stops.")
    var patience = SequenceTrainingConfiguration().patienceEpochs

    @Option(help: "Epochs without a better validation NDCG@10 after which the learning rate halves (0: never).")
    var plateau = SequenceTrainingConfiguration().plateauEpochs

    @Option(help: "Validations per epoch (more for models with long epochs).")
    var validationsPerEpoch = SequenceTrainingConfiguration().validationsPerEpoch

    @Option(help: "Windows (T5) or tiles (every-position models) per step.")
    var batch = SequenceTrainingConfiguration().batchSize

    @Option(help: "Validation users per check (0: all).")
    var validationUsers = 0

    @Option(
        help:
            "Validations averaged into the score that keeps the best model and drives the plateau and early stopping (1: each alone; resume a run with the value it started with)."
    )
    var validationSmoothing = SequenceTrainingConfiguration().validationSmoothing

    @Option(help: "Beam width of the SID generators.")
    var beam = 50

    @OptionGroup var training: TrainingThreadOptions

    /// Data-parallel workers for training and evaluation.
    var threads: Int { training.threads }

    @Option(help: "Peak AdamW learning rate of the sequence models (warm-up, then cosine decay).")
    var learningRate: Float = SequenceTrainingConfiguration().learningRate

    @Option(help: "Dropout of every sequence model (SASRec, SASRec*, both generators; default: each model's own, 0.1).")
    var dropout: Float?

    @Option(
        help:
            "Classes of the causal SID generator's next-token softmax: trie (the tokens that continue the prefix to a real item, as decoding chooses among) or vocabulary (every token)."
    )
    var generatorSoftmax: GeneratorSoftmax = .trie

    @Option(help: "AdamW decoupled weight decay of the sequence models.")
    var weightDecay: Float = SequenceTrainingConfiguration().weightDecay

    @Option(help: "Seed.")
    var seed: UInt64 = 42

    func validate() throws {
        guard batch >= 1, beam >= 1, learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--batch, --beam and --learning-rate must be positive")
        }
        guard maxEpochs >= 1, minEpochs >= 0, patience >= 1, plateau >= 0, validationsPerEpoch >= 1,
            validationSmoothing >= 1
        else {
            throw ValidationError(
                "--max-epochs, --patience, --validations-per-epoch and --validation-smoothing must be at least 1, --min-epochs and --plateau at least 0"
            )
        }
        guard dropout.map({ $0 >= 0 && $0 < 1 }) ?? true, weightDecay >= 0, weightDecay.isFinite else {
            throw ValidationError("--dropout must be in [0, 1) and --weight-decay at least 0")
        }
    }

    /// The Harness settings these flags fill.
    var settings: SequenceTrainingSettings {
        var settings = SequenceTrainingSettings()
        settings.maxEpochs = maxEpochs
        settings.minEpochs = minEpochs
        settings.patience = patience
        settings.plateau = plateau
        settings.validationsPerEpoch = validationsPerEpoch
        settings.batch = batch
        settings.validationUsers = validationUsers
        settings.validationSmoothing = validationSmoothing
        settings.beam = beam
        settings.threads = threads
        settings.learningRate = learningRate
        settings.dropout = dropout
        settings.softmaxOverTrie = generatorSoftmax == .trie
        settings.weightDecay = weightDecay
        settings.seed = seed
        return settings
    }
}

/// `--generator-softmax` values.
enum GeneratorSoftmax: String, ExpressibleByArgument, CaseIterable {
    case trie, vocabulary
}
