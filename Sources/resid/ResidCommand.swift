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

    /// Parses and runs the command, with the allocator's policy for freed memory that the
    /// command asks for (``ChoosesFreedMemoryPolicy``), by default keeping freed tensor memory
    /// for reuse as training and benchmarks want.
    static func main() async {
        do {
            var command = try parseAsRoot()
            ((type(of: command) as? any ChoosesFreedMemoryPolicy.Type)?.freedMemoryPolicy ?? .retainForReuse).apply()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
