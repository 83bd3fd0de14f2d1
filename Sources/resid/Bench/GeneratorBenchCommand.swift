import ArgumentParser
import Harness

/// `resid bench generator`: runs ``GeneratorBenchmark`` (what it measures is described there)
/// and prints its report.
struct GeneratorBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator",
        abstract: "Generator training tokens/s vs sgemm peak, and beam-search latency/throughput."
    )

    @OptionGroup var output: JSONOutputOptions

    @OptionGroup var blas: BLASThreadOptions

    @Option(help: "Synthetic catalogue size (SIDs drawn uniformly without repeats).")
    var items = 3_416

    @Option(help: "SID level sizes b1,b2,g3.")
    var levels = "15,15,16"

    @Option(help: "Training batch size (samples).")
    var trainBatch = 256

    @Option(help: "Timed training steps after one warm-up step (0 skips the training measurement).")
    var trainSteps = 3

    @Option(help: "Beam width.")
    var beam = 50

    @Option(help: "Timed repetitions per inference batch size.")
    var repetitions = 5

    @Option(
        help:
            "Shortest inference history in items; lengths are drawn uniformly up to the 32-item limit (32: every history full)."
    )
    var minHistory = 32

    @Option(help: "Comma-separated inference batch sizes (users decoded together).")
    var users = "1,64"

    @Option(help: "Comma-separated data-parallel worker counts for the two generators' training steps.")
    var parallelThreads = "1,2"

    @Option(help: "Timed data-parallel training steps per generator and worker count (0 skips them).")
    var parallelSteps = 4

    func run() async throws {
        var benchmark = GeneratorBenchmark()
        benchmark.items = items
        benchmark.levels = levels
        benchmark.trainBatch = trainBatch
        benchmark.trainSteps = trainSteps
        benchmark.beam = beam
        benchmark.repetitions = repetitions
        benchmark.minHistory = minHistory
        benchmark.users = users
        benchmark.parallelThreads = parallelThreads
        benchmark.parallelSteps = parallelSteps
        benchmark.threads = try blas.apply()
        let json = output.json
        benchmark.log = { line in if !json { print(line) } }
        let report = try await InvalidSettings.asValidationError { try await benchmark.run() }
        if json { try printJSON(report) }
    }
}
