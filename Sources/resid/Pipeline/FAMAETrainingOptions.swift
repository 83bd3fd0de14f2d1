import ArgumentParser
import Harness
import Training

/// The FAMAE training options shared by the commands that train one (`compare`,
/// `evaluate-coldstart`); they fill ``FAMAETrainingSettings``.
struct FAMAETrainingOptions: ParsableArguments {
    @Option(help: "Training seconds for the FAMAE (default: none; it trains until validation stops improving).")
    var famaeBudget: Double?

    @Option(help: "FAMAE samples per step.")
    var famaeBatch = 256

    @Option(help: "FAMAE training windows per epoch, drawn at random each epoch.")
    var famaeWindowsPerEpoch = 100_000

    @Option(help: "Most FAMAE epochs.")
    var famaeMaxEpochs = FAMAETrainingConfiguration().maxEpochs

    func validate() throws {
        guard famaeBudget.map({ $0 > 0 }) ?? true, famaeBatch >= 1, famaeWindowsPerEpoch >= 1, famaeMaxEpochs >= 1
        else {
            throw ValidationError(
                "--famae-budget, --famae-batch, --famae-windows-per-epoch and --famae-max-epochs must be positive")
        }
    }

    /// The Harness settings these flags fill.
    var settings: FAMAETrainingSettings {
        var settings = FAMAETrainingSettings()
        settings.budget = famaeBudget
        settings.batch = famaeBatch
        settings.windowsPerEpoch = famaeWindowsPerEpoch
        settings.maxEpochs = famaeMaxEpochs
        return settings
    }
}
