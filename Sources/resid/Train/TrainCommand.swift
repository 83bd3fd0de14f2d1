import ArgumentParser

/// `resid train ...`: offline training of the ReSID models.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a dataset and write its weights.",
        subcommands: [
            TrainFAMAECommand.self
        ]
    )
}
