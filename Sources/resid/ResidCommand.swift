import ArgumentParser

/// The `resid` command: one binary for the whole life of a ReSID recommender.
@main
struct ResidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resid",
        abstract: "ReSID Stream: Semantic-ID generative recommendation, offline and online.",
        subcommands: [
            BenchCommand.self,
            DataCommand.self,
            TrainCommand.self,
            ConfigCommand.self,
            BrokerCommand.self,
            TopicsCommand.self,
            DemoCommand.self,
            TokenizeCommand.self,
            PipelineCommand.self,
            EvaluateCommand.self,
            CompareCommand.self,
            EvaluateColdStartCommand.self,
            ServeCommand.self,
        ]
    )
}
