import ArgumentParser
import Foundation
import Harness

/// `resid bench soak`: runs ``SoakBenchmark`` (what it does is described there) and prints its
/// report.
struct SoakBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract:
            "Soak two serve instances with valid and hostile traffic, kill -9 and Redis restarts; verify prefixes and SIDs.",
        discussion: """
            Starts the embedded broker, redis-server with its AOF (fsync always, as production \
            keeps it) and two `resid serve` children in one group. For --minutes it sends valid \
            interactions at --rate per second plus, in the same stream, oversized events, \
            malformed JSON, keys that are not UTF-8, events with unknown fields, interactions with \
            unknown items, exact duplicates of recent events and new items (some with unknown \
            field values). Every --kill-every seconds one instance is killed with SIGKILL and \
            started again; every --redis-restart-every seconds redis-server is killed and \
            restarted. Then it waits for the backlog and reports events in, predictions out, dead \
            letters by reason, prefixes checked exactly against the events sent, SID collisions \
            and each instance's RSS, with RSS and the allocator's heap (in use and free) every \
            --sample-every seconds.
            """
    )

    @Option(help: "The bundle to serve (a directory written by `resid pipeline`).")
    var bundle: String

    @Option(help: "Minutes of traffic.")
    var minutes = 10.0

    @Option(help: "Valid interaction events per second.")
    var rate = 20.0

    @Option(help: "Distinct users.")
    var users = 200

    @Option(help: "Seconds between SIGKILLs of an instance (alternating).")
    var killEvery = 150.0

    @Option(help: "Seconds between Redis restarts.")
    var redisRestartEvery = 200.0

    @Option(help: "Seed of the traffic.")
    var seed: UInt64 = 11

    @Option(help: "Seconds between samples of each instance's RSS and allocator heap (in use and free).")
    var sampleEvery = 30.0

    @Option(
        help:
            "Valid events sent as one backlog before the timed traffic (full micro-batches first, so the inference buffers, which only grow, are at their largest before memory is sampled)."
    )
    var warmUpEvents = 0

    @OptionGroup var output: JSONOutputOptions

    func run() async throws {
        var benchmark = SoakBenchmark(bundle: bundle)
        benchmark.minutes = minutes
        benchmark.rate = rate
        benchmark.users = users
        benchmark.killEvery = killEvery
        benchmark.redisRestartEvery = redisRestartEvery
        benchmark.seed = seed
        benchmark.sampleEvery = sampleEvery
        benchmark.warmUpEvents = warmUpEvents
        let report = try await InvalidSettings.asValidationError { try await benchmark.run() }
        if output.json {
            try printJSON(report)
        } else {
            print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
        }
    }
}
