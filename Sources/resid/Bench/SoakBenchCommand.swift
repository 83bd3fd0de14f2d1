import ArgumentParser
import Bundle
import Foundation
import Harness
import Kafka
import Logging
import ReSIDTestKit
import Redis
import Serve
import Tensor
import Training

/// `resid bench soak`: two daemons under mixed valid and hostile traffic, with an instance
/// killed (SIGKILL) and Redis restarted every few minutes, then a check of what came out.
struct SoakBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Soak two serve instances with valid and hostile traffic, kill -9 and Redis restarts; verify prefixes and SIDs.",
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
            and each instance's RSS.
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

    @OptionGroup var output: JSONOutputOptions

    struct Report: Codable {
        var benchmark = "soak"
        var minutes: Double
        var eventsIn: [String: Int]
        var predictionsOut: Int
        var validEventsPredicted: Int
        var validEventsUnpredicted: Int
        var repeatedPredictions: Int
        var deadLettersByReason: [String: Int]
        var usersChecked: Int
        var prefixesExact: Int
        var prefixesWrong: Int
        var onlineItems: Int
        var sidCollisions: Int
        var instanceKills: Int
        var redisRestarts: Int
        var rssStartBytes: [Int]
        var rssEndBytes: [Int]
    }

    func run() async throws {
        var logger = Logger(label: "resid.bench.soak")
        logger.logLevel = .error
        let bundleURL = URL(fileURLWithPath: bundle).standardizedFileURL
        let items = try ModelBundle(directory: bundleURL, verify: false).decodeJSON(BundleItems.self, from: BundleItems.fileName)
        let bundleID = try ModelBundle(directory: bundleURL, verify: false).manifest.bundleID
        let topicList = URL(fileURLWithPath: "Topics/topics.json").standardizedFileURL
        guard FileManager.default.fileExists(atPath: topicList.path) else {
            throw ValidationError("run from the repository root (Topics/topics.json not found)")
        }
        progress("starting the embedded broker and redis-server (AOF, fsync always)")
        let broker = try await KafkaEmbeddedBroker(
            executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(), topicList: topicList, logger: logger)
        let redis = try await RedisServer.start(persistence: .appendOnlyFsyncAlways)
        defer { redis.stop() }
        let topics = ServeTopics()
        let bootstrap = broker.bootstrapServers.map(\.description).joined(separator: ",")
        func configuration(_ name: String) -> ServeConfigurationFile {
            ServeConfigurationFile(
                bootstrap: bootstrap, redisURL: redis.url, namespace: "soak", groupID: "soak-serve",
                variants: ["control:1:\(bundleURL.path)"], topicList: topicList.path, instanceID: name)
        }

        let ledger = SoakLedger()
        let reader = Task { try await ledger.follow(broker: broker, topics: topics, logger: logger) }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers), logger: logger)
        var instances = [try ServeChild(configuration: configuration("soak-a"), name: "a"), try ServeChild(configuration: configuration("soak-b"), name: "b")]
        do {
            for instance in instances { try await instance.waitReady(timeout: .seconds(300)) }
            let rssStart = instances.map { $0.memory().rss }
            progress("two instances ready; \(minutes) minutes of traffic")

            var traffic = SoakTraffic(items: items, users: users, seed: seed, topics: topics)
            let start = ContinuousClock.now
            let end = start + .seconds(minutes * 60)
            var nextKill = start + .seconds(killEvery)
            var nextRedisRestart = start + .seconds(redisRestartEvery)
            var kills = 0
            var restarts = 0
            var tick = 0
            while ContinuousClock.now < end {
                tick += 1
                let batch = traffic.next(validCount: Int((rate * Double(tick) / 10).rounded()) - Int((rate * Double(tick - 1) / 10).rounded()), ledger: ledger)
                let reports = try await producer.send(batch: batch)
                if let failed = reports.first(where: { !$0.isDelivered }) {
                    throw HarnessFailure("producing soak traffic failed: \(String(describing: failed.error))")
                }
                if ContinuousClock.now >= nextKill {
                    let victim = kills % instances.count
                    kill(instances[victim].process.processIdentifier, SIGKILL)
                    instances[victim].process.waitUntilExit()
                    instances[victim] = try ServeChild(configuration: configuration("soak-\(victim == 0 ? "a" : "b")"), name: victim == 0 ? "a" : "b")
                    kills += 1
                    nextKill = ContinuousClock.now + .seconds(killEvery)
                    progress("killed instance \(victim == 0 ? "a" : "b") (SIGKILL) and started it again")
                }
                if ContinuousClock.now >= nextRedisRestart {
                    try await redis.restart()
                    restarts += 1
                    nextRedisRestart = ContinuousClock.now + .seconds(redisRestartEvery)
                    progress("restarted redis-server (SIGKILL, AOF reload)")
                }
                try await Task.sleep(until: start + .milliseconds(100 * tick), clock: .continuous)
            }
            progress("traffic done; waiting for the backlog")
            for instance in instances { try await instance.waitReady(timeout: .seconds(300)) }
            let drainBy = ContinuousClock.now + .seconds(300)
            while ledger.unpredicted > 0, ContinuousClock.now < drainBy { try await Task.sleep(for: .milliseconds(500)) }
            try await Task.sleep(for: .seconds(3))  // late dead letters and item SIDs
            let rssEnd = instances.map { $0.memory().rss }

            let expected = ledger.expectedPrefixes(length: 32)
            let (exact, wrong) = try await checkPrefixes(expected, redis: redis)
            let frozen = [bundleID: zip(items.keys, items.sids).map { (item: $0, sid: $1) }]
            let summary = ledger.summary()
            let report = Report(
                minutes: minutes, eventsIn: summary.sent, predictionsOut: summary.predictions,
                validEventsPredicted: summary.distinctPredicted, validEventsUnpredicted: summary.unpredicted,
                repeatedPredictions: summary.repeated, deadLettersByReason: summary.deadLetters, usersChecked: expected.count,
                prefixesExact: exact, prefixesWrong: wrong, onlineItems: ledger.onlineItems,
                sidCollisions: ledger.sidCollisions(frozen: frozen), instanceKills: kills, redisRestarts: restarts,
                rssStartBytes: rssStart, rssEndBytes: rssEnd)
            for instance in instances { await instance.stop() }
            reader.cancel()
            _ = try? await reader.value
            try? await producer.shutdown(timeout: .seconds(5))
            await broker.stop()
            if output.json { try printJSON(report) } else { print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self)) }
        } catch {
            for instance in instances { await instance.stop(timeout: .seconds(5)) }
            reader.cancel()
            _ = try? await reader.value
            try? await producer.shutdown(timeout: .seconds(5))
            await broker.stop()
            throw error
        }
    }

    /// Compares every user's prefix in Redis with the one the sent events imply.
    private func checkPrefixes(_ expected: [String: [String]], redis: RedisServer) async throws -> (exact: Int, wrong: Int) {
        let pool = RedisConnectionPool(configuration: redis.configuration(namespace: "soak"))
        let keys = RedisKeys(namespace: "soak")
        let users = expected.keys.sorted()
        let replies = try await pool.withConnection { connection in
            try await connection.pipeline(users.map { RedisCommand("GET", keys.prefix(user: $0)) })
        }
        await pool.close()
        var exact = 0
        for (user, reply) in zip(users, replies) {
            let stored = reply.string?.split(separator: "\u{1E}", omittingEmptySubsequences: false).last?
                .split(separator: "\u{1F}").map(String.init) ?? []
            if stored == expected[user] { exact += 1 }
        }
        return (exact, users.count - exact)
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Data("[bench soak] \(line)\n".utf8))
    }
}
