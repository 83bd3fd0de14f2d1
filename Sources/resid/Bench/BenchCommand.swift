import ArgumentParser

/// `resid bench ...`: benchmarks that print JSON. Timing claims come from these, never from tests.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure hot paths and print the figures (as JSON with --json).",
        subcommands: [
            GemmBenchCommand.self,
            GeneratorBenchCommand.self,
            GaoqBenchCommand.self,
            ColdStartBenchCommand.self,
            RedisBenchCommand.self,
            KafkaBenchCommand.self,
            SoakBenchCommand.self,
            ServeBenchCommand.self,
        ]
    )
}
