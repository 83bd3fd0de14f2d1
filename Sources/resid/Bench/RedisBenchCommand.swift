import ArgumentParser
import Harness

/// `resid bench redis`: runs ``RedisBenchmark`` (what it measures is described there) and prints
/// its report.
struct RedisBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Pipelined prefix-script calls/s vs redis-benchmark, and the memory of one prefix."
    )

    @OptionGroup var output: JSONOutputOptions

    @Option(help: "Distinct users (synthetic, uniform).")
    var users = 5000

    @Option(help: "Prefix updates per trial.")
    var events = 200_000

    @Option(help: "Commands per pipelined round trip (also redis-benchmark -P).")
    var pipeline = 64

    @Option(help: "Parallel connections (also redis-benchmark -c).")
    var clients = 4

    @Option(help: "Trials; every trial is reported, with the median.")
    var trials = 3

    @Option(help: "Seed of the synthetic workload.")
    var seed: UInt64 = 7

    func validate() throws {
        guard users > 0, events > 0, pipeline > 0, clients > 0, trials > 0 else {
            throw ValidationError("--users, --events, --pipeline, --clients and --trials must be positive")
        }
    }

    func run() async throws {
        var benchmark = RedisBenchmark()
        benchmark.users = users
        benchmark.events = events
        benchmark.pipeline = pipeline
        benchmark.clients = clients
        benchmark.trials = trials
        benchmark.seed = seed
        let report = try await InvalidSettings.asValidationError { try await benchmark.run() }
        if output.json {
            try printJSON(report)
        } else {
            let median = report.median
            print(
                "median of \(trials): prefix updates \(Int(median.oursPrefixAppliedCallsPerSecond)) calls/s; "
                    + "replays ours \(Int(median.oursPrefixReplayCallsPerSecond))/s vs redis-benchmark "
                    + "\(Int(median.redisBenchmarkPrefixReplayCallsPerSecond))/s; one 32-item prefix "
                    + "\(report.memory.memoryUsageBytesOf32ItemPrefix) bytes")
        }
    }
}
