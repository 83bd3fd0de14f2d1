import ArgumentParser
import LocalServers
import Tensor

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

    /// Parses and runs the command, with the allocator keeping freed tensor memory for reuse
    /// (``FreedMemoryPolicy``) for every command: training, benchmarks and the daemon.
    static func main() async {
        FreedMemoryPolicy.retainFreedMemory()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
