import ArgumentParser
import Foundation
import Harness

/// `resid bench serve`: runs ``ServeBenchmark`` (what it measures is described there) and prints
/// its report.
struct ServeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Streaming daemon: events/s with one and two instances, latency at half load, RSS, Redis bytes per prefix."
    )

    @OptionGroup var output: JSONOutputOptions

    @Option(help: "The MovieLens bundle to serve (written by `resid pipeline --dataset ml-100k|ml-1m`).")
    var bundle: String

    @Option(
        help:
            "A large synthetic bundle (e.g. `resid pipeline --dataset synthetic-150000`) whose serving RSS is measured."
    )
    var syntheticBundle: String?

    @Option(
        help:
            "With --synthetic-bundle naming a directory that does not exist: build a synthetic bundle of about this many items there first (real pipeline, minimal training)."
    )
    var syntheticItems: Int?

    @Option(help: "Events in each throughput backlog.")
    var events = 10_000

    @Option(help: "Distinct users in the synthetic event stream.")
    var users = 300

    @Option(help: "Seconds of paced traffic for the latency phase.")
    var latencySeconds = 15

    @Option(help: "Events per second of the light-load latency phase (end to end against the daemon's own latency).")
    var lightRate = 20.0

    @Flag(
        help:
            "Measure the light-load latency with one instance only, then stop (skips throughput, memory and the second instance)."
    )
    var lightLoadOnly = false

    @Option(help: "Seed of the synthetic event stream.")
    var seed: UInt64 = 7

    func validate() throws {
        guard events >= 100, users >= 1, latencySeconds >= 1 else {
            throw ValidationError("--events must be at least 100, --users and --latency-seconds at least 1")
        }
    }

    func run() async throws {
        var benchmark = ServeBenchmark(bundle: bundle)
        benchmark.syntheticBundle = syntheticBundle
        benchmark.syntheticItems = syntheticItems
        benchmark.events = events
        benchmark.users = users
        benchmark.latencySeconds = latencySeconds
        benchmark.lightRate = lightRate
        benchmark.lightLoadOnly = lightLoadOnly
        benchmark.seed = seed
        let outcome = try await InvalidSettings.asValidationError { try await benchmark.run() }
        if output.json {
            try printJSON(outcome)
        } else {
            print(String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
        }
    }
}
