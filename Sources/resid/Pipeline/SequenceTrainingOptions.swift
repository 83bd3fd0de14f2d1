import ArgumentParser
import Training

/// The training protocol options every command that trains sequence models (SASRec, the SID
/// generators) shares, so `compare` and `evaluate-coldstart` train under the same flags.
struct SequenceTrainingOptions: ParsableArguments {
    @Option(help: "Most epochs per model (an epoch teaches every training target once).")
    var maxEpochs = SequenceTrainingConfiguration().maxEpochs

    @Option(help: "Epochs always trained before early stopping.")
    var minEpochs = SequenceTrainingConfiguration().minEpochs

    @Option(help: "Epochs without a better validation NDCG@10 before a model stops.")
    var patience = SequenceTrainingConfiguration().patienceEpochs

    @Option(help: "Validations per epoch (more for models with long epochs).")
    var validationsPerEpoch = SequenceTrainingConfiguration().validationsPerEpoch

    @Option(help: "Windows (T5) or tiles (every-position models) per step.")
    var batch = SequenceTrainingConfiguration().batchSize

    @Option(help: "Validation users per check (0: all).")
    var validationUsers = 0

    @Option(help: "Beam width of the SID generators.")
    var beam = 50

    @Option(help: "Data-parallel training and evaluation threads (OpenBLAS runs one thread per worker).")
    var threads = 2

    @Option(help: "Peak AdamW learning rate of the sequence models (warm-up, then cosine decay).")
    var learningRate: Float = SequenceTrainingConfiguration().learningRate

    @Option(help: "Seed.")
    var seed: UInt64 = 42

    func validate() throws {
        guard batch >= 1, beam >= 1, threads >= 1, learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--batch, --beam, --threads and --learning-rate must be positive")
        }
        guard maxEpochs >= 1, minEpochs >= 0, patience >= 1, validationsPerEpoch >= 1 else {
            throw ValidationError("--max-epochs, --patience and --validations-per-epoch must be at least 1, --min-epochs at least 0")
        }
    }

    /// The trainer's configuration under these options and a per-model time budget (nil: until
    /// validation stops improving).
    func configuration(budget: Double?) -> SequenceTrainingConfiguration {
        var training = SequenceTrainingConfiguration()
        training.batchSize = batch
        training.learningRate = learningRate
        training.timeBudgetSeconds = budget
        training.maxEpochs = maxEpochs
        training.minEpochs = minEpochs
        training.patienceEpochs = patience
        training.validationsPerEpoch = validationsPerEpoch
        training.seed = seed
        training.threads = threads
        training.validationUsers = validationUsers > 0 ? validationUsers : nil
        return training
    }

    /// The protocol in one line, for reports.
    func protocolLine(budget: Double?) -> String {
        "batch \(batch), lr \(learningRate), \(threads) threads, "
            + (budget.map { "budget \(Int($0)) s" } ?? "until validation stops (min \(minEpochs), patience \(patience) epochs, max \(maxEpochs))")
            + ", validation on \(validationUsers > 0 ? "\(validationUsers)" : "all") users"
    }
}
