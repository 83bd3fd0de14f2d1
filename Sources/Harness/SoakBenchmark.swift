import Bundle
import Foundation
import Inference
import Kafka
import LocalServers
import Logging
import Redis
import Serve
import ServingState
import Tensor

/// What `resid bench soak` does: two daemons under mixed valid and hostile traffic, with an
/// instance killed (SIGKILL) and Redis restarted every few minutes, then a check of what came out.
public struct SoakBenchmark {
    /// The bundle to serve (a directory written by `resid pipeline`).
    public var bundle: String

    /// Minutes of traffic.
    public var minutes = 10.0

    /// Valid interaction events per second.
    public var rate = 20.0

    /// Distinct users.
    public var users = 200

    /// Seconds between SIGKILLs of an instance (alternating).
    public var killEvery = 150.0

    /// Seconds between Redis restarts.
    public var redisRestartEvery = 200.0

    /// Seed of the traffic.
    public var seed: UInt64 = 11

    /// Seconds between samples of each instance's memory (RSS and the allocator's heap).
    public var sampleEvery = 30.0

    /// Valid events sent at once before the timed traffic, and predicted before it starts: a
    /// backlog, so each instance decodes full micro-batches of users with full histories and its
    /// inference buffers, which only grow, reach their largest size before the first memory
    /// sample. Valid events only: the hostile mix's oversized events, thousands at once, would
    /// pass the embedded broker's 5 MiB per partition and be dropped unread. 0: none.
    public var warmUpEvents = 0

    /// The defaults of `resid bench soak` with the bundle to serve.
    public init(bundle: String) {
        self.bundle = bundle
    }

    public struct Report: Codable, Sendable {
        public var benchmark = "soak"
        public var minutes: Double
        public var eventsIn: [String: Int]
        public var predictionsOut: Int
        public var validEventsPredicted: Int
        public var validEventsUnpredicted: Int
        public var repeatedPredictions: Int
        public var deadLettersByReason: [String: Int]
        public var usersChecked: Int
        public var prefixesExact: Int
        public var prefixesWrong: Int
        public var onlineItems: Int
        public var sidCollisions: Int
        public var instanceKills: Int
        public var redisRestarts: Int
        public var rssStartBytes: [Int]
        public var rssEndBytes: [Int]
        /// Each instance's memory every ``SoakBenchmark/sampleEvery`` seconds of traffic.
        public var memorySamples: [MemorySample]
    }

    /// The instances' memory at one moment (0 for an instance that was not answering).
    public struct MemorySample: Codable, Sendable {
        /// Seconds since the traffic started.
        public var seconds: Double
        /// Resident size (`VmRSS`).
        public var rssBytes: [Int]
        /// The allocator's bytes held by the daemon (`resid_serve_heap_bytes{state="in_use"}`).
        public var heapInUseBytes: [Int]
        /// Freed bytes the allocator keeps (`resid_serve_heap_bytes{state="free"}`).
        public var heapFreeBytes: [Int]
    }

    private static func sample(_ instances: [ServeChild], at seconds: Double) -> MemorySample {
        let metrics = instances.map { $0.metrics() }
        func heap(_ state: String) -> [Int] {
            metrics.map { Int($0?.value("resid_serve_heap_bytes", ["state": state]) ?? 0) }
        }
        return MemorySample(
            seconds: seconds, rssBytes: instances.map { $0.memory().rss }, heapInUseBytes: heap("in_use"),
            heapFreeBytes: heap("free"))
    }

    /// Starts the broker, redis-server and two daemons, soaks them, checks what came out and
    /// stops everything; progress goes to standard error. Run from the repository root (it
    /// reads `Topics/topics.json`).
    public func run() async throws -> Report {
        var logger = Logger(label: "resid.bench.soak")
        logger.logLevel = .error
        let bundleURL = URL(fileURLWithPath: bundle).standardizedFileURL
        let items = try ModelBundle(directory: bundleURL, verify: false).decodeJSON(
            BundleItems.self, from: BundleItems.fileName)
        let bundleID = try ModelBundle(directory: bundleURL, verify: false).manifest.bundleID
        let topicList = try repositoryTopicList()
        progress("starting the embedded broker and redis-server (AOF, fsync always)")
        let broker = try await EmbeddedBroker(topicList: topicList, logger: logger)
        let redis = try await RedisServer.start(persistence: .appendOnlyFsyncAlways)
        let topics = ServeTopics()
        let bootstrap = broker.bootstrapServers.map(\.description).joined(separator: ",")
        func configuration(_ name: String) -> ServeConfigurationFile {
            ServeConfigurationFile(
                bootstrap: bootstrap, redisURL: redis.url, namespace: "soak", groupID: "soak-serve",
                variants: ["control:1:\(bundleURL.path)"], topicList: topicList.path, instanceID: name)
        }

        let ledger = SoakLedger()
        let reader = Task { try await ledger.follow(broker: broker, topics: topics, logger: logger) }
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers), logger: logger)
        let instances = [
            try await ServeChild(configuration: configuration("soak-a"), name: "a"),
            try await ServeChild(configuration: configuration("soak-b"), name: "b"),
        ]
        do {
            for instance in instances { try await instance.waitReady(timeout: .seconds(300)) }
            var traffic = SoakTraffic(items: items, users: users, seed: seed, topics: topics)
            if warmUpEvents > 0 {
                progress("warm-up: a backlog of \(warmUpEvents) valid events")
                let reports = try await producer.send(
                    batch: traffic.next(validCount: warmUpEvents, ledger: ledger, hostile: false))
                guard reports.allSatisfy(\.isDelivered) else { throw HarnessFailure("producing the warm-up failed") }
                let warmedBy = ContinuousClock.now + .seconds(300)
                while ledger.unpredicted > 0, ContinuousClock.now < warmedBy {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let rssStart = instances.map { $0.memory().rss }
            progress("two instances ready; \(minutes) minutes of traffic")

            let start = ContinuousClock.now
            let end = start + .seconds(minutes * 60)
            var nextKill = start + .seconds(killEvery)
            var nextRedisRestart = start + .seconds(redisRestartEvery)
            var kills = 0
            var restarts = 0
            var tick = 0
            var samples = [Self.sample(instances, at: 0)]
            var nextSample = start + .seconds(sampleEvery)
            while ContinuousClock.now < end {
                tick += 1
                let batch = traffic.next(
                    validCount: Int((rate * Double(tick) / 10).rounded())
                        - Int((rate * Double(tick - 1) / 10).rounded()), ledger: ledger)
                let reports = try await producer.send(batch: batch)
                if let failed = reports.first(where: { !$0.isDelivered }) {
                    throw HarnessFailure("producing soak traffic failed: \(String(describing: failed.error))")
                }
                if ContinuousClock.now >= nextKill {
                    let victim = kills % instances.count
                    try await instances[victim].restart()
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
                if ContinuousClock.now >= nextSample {
                    samples.append(Self.sample(instances, at: (ContinuousClock.now - start).seconds))
                    progress(
                        "RSS \(samples.last!.rssBytes.map { $0 >> 20 }) MiB, heap in use \(samples.last!.heapInUseBytes.map { $0 >> 20 }) MiB, free \(samples.last!.heapFreeBytes.map { $0 >> 20 }) MiB"
                    )
                    nextSample = nextSample + .seconds(sampleEvery)
                }
                try await Task.sleep(until: start + .milliseconds(100 * tick), clock: .continuous)
            }
            progress("traffic done; waiting for the backlog")
            for instance in instances { try await instance.waitReady(timeout: .seconds(300)) }
            let drainBy = ContinuousClock.now + .seconds(300)
            while ledger.unpredicted > 0, ContinuousClock.now < drainBy {
                try await Task.sleep(for: .milliseconds(500))
            }
            try await Task.sleep(for: .seconds(3))  // late dead letters and item SIDs
            let rssEnd = instances.map { $0.memory().rss }

            let expected = ledger.expectedPrefixes(length: 32)
            let (exact, wrong) = try await checkPrefixes(expected, redis: redis)
            let frozen = [bundleID: zip(items.keys, items.sids).map { (item: $0, sid: $1) }]
            let summary = ledger.summary()
            let report = Report(
                minutes: minutes, eventsIn: summary.sent, predictionsOut: summary.predictions,
                validEventsPredicted: summary.distinctPredicted, validEventsUnpredicted: summary.unpredicted,
                repeatedPredictions: summary.repeated, deadLettersByReason: summary.deadLetters,
                usersChecked: expected.count,
                prefixesExact: exact, prefixesWrong: wrong, onlineItems: ledger.onlineItems,
                sidCollisions: ledger.sidCollisions(frozen: frozen), instanceKills: kills, redisRestarts: restarts,
                rssStartBytes: rssStart, rssEndBytes: rssEnd, memorySamples: samples)
            for instance in instances { await instance.stop() }
            reader.cancel()
            _ = try? await reader.value
            try? await producer.shutdown(timeout: .seconds(5))
            await broker.stop()
            await redis.stop()
            return report
        } catch {
            for instance in instances { await instance.stop(timeout: .seconds(5)) }
            reader.cancel()
            _ = try? await reader.value
            try? await producer.shutdown(timeout: .seconds(5))
            await broker.stop()
            await redis.stop()
            throw error
        }
    }

    /// Compares every user's prefix in Redis with the one the sent events imply.
    private func checkPrefixes(
        _ expected: [String: [String]], redis: RedisServer
    ) async throws -> (exact: Int, wrong: Int) {
        let pool = RedisConnectionPool(configuration: redis.configuration(namespace: "soak"))
        let keys = RedisKeys(namespace: "soak")
        let users = expected.keys.sorted()
        let replies = try await pool.withConnection { connection in
            try await connection.pipeline(users.map { RedisCommand("GET", keys.prefix(user: $0)) })
        }
        await pool.close()
        var exact = 0
        for (user, reply) in zip(users, replies) {
            let stored =
                reply.string?.split(separator: "\u{1E}", omittingEmptySubsequences: false).last?
                .split(separator: "\u{1F}").map(String.init) ?? []
            if stored == expected[user] { exact += 1 }
        }
        return (exact, users.count - exact)
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Data("[bench soak] \(line)\n".utf8))
    }
}
