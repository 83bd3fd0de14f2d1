import ArgumentParser
import Foundation
import Harness

/// `resid bench kafka`: runs ``KafkaBenchmark`` (what it measures is described there) and
/// prints its report.
struct KafkaBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Messages/s and MB/s produced and consumed through the embedded broker."
    )

    @OptionGroup var output: JSONOutputOptions

    @Option(help: "Messages produced (batched) and then consumed.")
    var messages = 100_000

    @Option(help: "Bytes per message value (synthetic, seeded random bytes).")
    var messageBytes = 1024

    @Option(help: "Partitions of the benchmark topic (the embedded broker keeps at most 5 MiB per partition).")
    var partitions = 32

    @Option(help: "Messages per batch whose delivery reports are awaited together.")
    var batch = 10_000

    @Option(help: "Messages for the one-at-a-time baseline.")
    var sequentialMessages = 2_000

    private var benchmark: KafkaBenchmark {
        var benchmark = KafkaBenchmark()
        benchmark.messages = messages
        benchmark.messageBytes = messageBytes
        benchmark.partitions = partitions
        benchmark.batch = batch
        benchmark.sequentialMessages = sequentialMessages
        return benchmark
    }

    func validate() throws {
        if let problem = benchmark.problem { throw ValidationError(problem) }
    }

    func run() async throws {
        let report = try await benchmark.run()
        if output.json {
            try printJSON(report)
        } else {
            for (name, phase) in [
                ("produce (one at a time)", report.produceSequential),
                ("produce (batched)", report.produceBatched), ("consume", report.consume),
            ] {
                print(
                    "\(name): \(phase.messages) msgs in \(format(phase.seconds)) s = \(format(phase.messagesPerSecond)) msg/s, \(format(phase.megabytesPerSecond)) MB/s, failed \(phase.failed)"
                )
            }
            print(
                "batched / one-at-a-time: \(format(report.batchedOverSequential))x; group join \(format(report.consumeGroupJoinSeconds)) s"
            )
        }
    }

    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
