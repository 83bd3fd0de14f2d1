import ArgumentParser

/// `resid data ...`: fetch the real datasets and describe datasets.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch datasets into the local cache and print their statistics.",
        subcommands: [
            DataFetchCommand.self,
            DataStatsCommand.self,
        ]
    )
}
