import ArgumentParser
import Data
import Foundation
import Harness
import Supervision

/// `resid demo`: the whole online system on this machine, on real MovieLens data.
///
/// Starts the embedded Kafka broker and a private redis-server, makes sure a small real bundle
/// exists (the offline pipeline on MovieLens-100K, a few minutes, cached), runs two
/// `resid serve` instances in one consumer group with an A/A split of that bundle, replays real
/// interactions in time order plus never-seen items and a few malformed events, shows live
/// progress, and ends with a summary. It stops everything it started, also on Ctrl-C.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the streaming demo: broker, Redis, two daemons, a real MovieLens replay, and a summary."
    )

    @Option(help: "Bundle to serve (default: a cached MovieLens-100K bundle, built if missing).")
    var bundle: String?

    @Option(help: "Training budget in seconds when the demo builds its bundle.")
    var bundleBudget = 600.0

    @Option(help: "Users whose recent interactions are replayed.")
    var users = 300

    @Option(help: "Most recent interactions replayed per user (the last one is the held-out test item).")
    var eventsPerUser = 10

    @Option(help: "Never-seen items published before the replay (cold start).")
    var newItems = 40

    @Option(help: "Malformed events mixed into the stream (they must reach the dead-letter topic).")
    var malformed = 30

    @Option(help: "Daemon instances in the consumer group.")
    var instances = 2

    @Option(
        help:
            "Interaction events per second to offer, kept below this machine's capacity so latencies are not queueing (0: as fast as Kafka takes them, which measures saturated throughput)."
    )
    var rate = 60.0

    @Option(help: "Seconds without any output before the demo stops waiting.")
    var idleTimeout = 60.0

    @Option(help: "Seed of the demo's choices (which template each new item copies).")
    var seed: UInt64 = 7

    @OptionGroup var output: JSONOutputOptions

    func run() async throws {
        guard users >= 1, eventsPerUser >= 2, newItems >= 0, malformed >= 0, instances >= 1, rate >= 0, idleTimeout > 0
        else {
            throw ValidationError(
                "--users >= 1, --events-per-user >= 2, --instances >= 1; --new-items, --malformed, --rate >= 0; --idle-timeout > 0"
            )
        }
        guard FileManager.default.fileExists(atPath: "Topics/topics.json"),
            FileManager.default.fileExists(atPath: "Config/resid.yaml")
        else {
            throw ValidationError("run the demo from the repository root (it reads Topics/ and Config/resid.yaml)")
        }
        say("[1/5] model bundle")
        let bundleURL = try await DemoBundle(path: bundle, budget: bundleBudget).ensure(log: say)
        let dataset = try DatasetName(name: "ml-100k", cacheDir: nil).prepare()
        let events = DemoEvents(
            dataset: dataset, users: users, eventsPerUser: eventsPerUser, newItems: newItems, malformed: malformed,
            seed: seed)
        say(
            "replay: \(events.replayed.count) real ml-100k interactions of \(min(users, dataset.sequences.userCount)) users, \(events.newItems.count) new items, \(events.malformed) malformed events"
        )
        let run = DemoRun(
            events: events, bundle: bundleURL, instances: instances, rate: rate, idleTimeout: idleTimeout,
            executable: ExecutableSearch.running,
            topicList: URL(fileURLWithPath: "Topics/topics.json"))
        let summary = try await run.runInterruptibly()
        summary.print(toStandardError: output.json)
        if output.json { try printJSON(summary) }
    }
}
