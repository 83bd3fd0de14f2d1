import Bundle
import Foundation
import Inference
import Kafka
import LocalServers
import Logging
import Redis
import Serve
import ServingState
import Synchronization
import Tensor

/// What `resid bench serve` measures: the streaming daemon end to end, as separate `resid serve`
/// processes against the embedded broker and a private redis-server.
///
/// 1. Throughput: a backlog of events is produced as fast as possible and drained, first by one
///    instance (the baseline), then by two instances in one consumer group.
/// 2. Latency: events paced at 50% of the two-instance throughput; produce-to-receive latency
///    of each prediction (and the daemon's own poll-to-produce figure) as percentiles.
/// 3. Memory: each daemon's RSS with the MovieLens bundle; with `--synthetic-bundle`, one daemon's
///    RSS serving a large synthetic bundle; Redis `MEMORY USAGE` of full user prefixes.
///
/// The event stream is synthetic (seeded random users and items of the bundle) and labelled so.
public struct ServeBenchmark {
    /// The MovieLens bundle to serve (written by `resid pipeline --dataset ml-100k|ml-1m`).
    public var bundle: String

    /// A large synthetic bundle (e.g. `resid pipeline --dataset synthetic-150000`) whose serving
    /// RSS is measured.
    public var syntheticBundle: String?

    /// With --synthetic-bundle naming a directory that does not exist: build a synthetic bundle of
    /// about this many items there first (real pipeline, minimal training).
    public var syntheticItems: Int?

    /// Events in each throughput backlog.
    public var events = 10_000

    /// Distinct users in the synthetic event stream.
    public var users = 300

    /// Seconds of paced traffic for the latency phase.
    public var latencySeconds = 15

    /// Events per second of the light-load latency phase (end to end against the daemon's own
    /// latency).
    public var lightRate = 20.0

    /// Measure the light-load latency with one instance only, then stop (skips throughput, memory
    /// and the second instance).
    public var lightLoadOnly = false

    /// Seed of the synthetic event stream.
    public var seed: UInt64 = 7

    /// The defaults of `resid bench serve` with the bundle to serve.
    public init(bundle: String) {
        self.bundle = bundle
    }

    /// The light-load latency alone (`lightLoadOnly`), or every figure.
    public enum Outcome: Encodable, Sendable {
        case lightLoadOnly(LightLoad)
        case full(Report)

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .lightLoadOnly(let light): try light.encode(to: encoder)
            case .full(let report): try report.encode(to: encoder)
            }
        }
    }

    public struct Throughput: Codable, Sendable {
        public var instances: Int
        public var events: Int
        public var seconds: Double
        public var eventsPerSecond: Double
    }

    public struct Latency: Codable, Sendable {
        public var targetEventsPerSecond: Double
        public var achievedEventsPerSecond: Double
        public var events: Int
        public var endToEndMilliseconds: [String: Double]
        public var daemonTotalMilliseconds: [String: Double]
        /// Sent to polled by the daemon, and produced by the daemon to received: the broker hops
        /// (wall-clock stamps, the daemon's rounded to whole milliseconds: each figure is exact to
        /// half a millisecond).
        public var inboundMilliseconds: [String: Double]
        public var outboundMilliseconds: [String: Double]
    }

    public struct Memory: Codable, Sendable {
        public var bundle: String
        public var bundleItems: Int
        public var synthetic: Bool
        public var rssBytes: Int
        public var peakRSSBytes: Int
    }

    public struct Report: Codable, Sendable {
        public var benchmark = "serve"
        public var eventStream = "synthetic: seeded random users and bundle items"
        public var bundle: String
        public var cores = ProcessInfo.processInfo.activeProcessorCount
        public var oneInstance: Throughput
        public var twoInstances: Throughput
        public var twoOverOne: Double
        public var latencyAtHalfLoad: Latency
        public var latencyAtLightLoad: LightLoad
        public var daemonMemory: [Memory]
        public var redisBytesPerPrefix: Double
        public var redisPrefixItems: Int
        public var redisPrefixesMeasured: Int
        public var meanItemKeyBytes: Double
    }

    /// End-to-end latency (event produced to prediction consumed, both through the broker with
    /// the default consumer and producer settings) against the daemon's own (poll to produce).
    public struct LightLoad: Codable, Sendable {
        public var latency: Latency
        /// End to end over daemon, at p50 and p99.
        public var endToEndOverDaemon: [String: Double]

        init(_ latency: Latency) {
            self.latency = latency
            var ratios: [String: Double] = [:]
            for key in ["p50", "p99"] {
                if let total = latency.endToEndMilliseconds[key], let daemon = latency.daemonTotalMilliseconds[key],
                    daemon > 0
                {
                    ratios[key] = total / daemon
                }
            }
            endToEndOverDaemon = ratios
        }
    }

    /// Starts the broker, redis-server and the daemons, measures, and stops everything; progress
    /// goes to standard error. Run from the repository root (it reads `Topics/topics.json`).
    public func run() async throws -> Outcome {
        var logger = Logger(label: "resid.bench.serve")
        logger.logLevel = .warning
        let bundleURL = URL(fileURLWithPath: bundle).standardizedFileURL
        let opened = try ModelBundle(directory: bundleURL, verify: false)
        let items = try opened.decodeJSON(BundleItems.self, from: BundleItems.fileName)
        let topicList = try repositoryTopicList()
        progress("starting the embedded broker and redis-server")
        let broker = try await EmbeddedBroker(topicList: topicList, logger: logger)
        let redis = try await RedisServer.start()
        let topics = ServeTopics()
        let inputPartitions = try KafkaTopicList.load(from: topicList).topics
            .filter { [topics.items, topics.interactions].contains($0.name) }.map(\.partitions).reduce(0, +)
        let bootstrap = broker.bootstrapServers.map(\.description).joined(separator: ",")
        func configuration(_ name: String, bundle path: String) -> ServeConfigurationFile {
            // Kafka latency settings are the built-in defaults, which Config/resid.yaml states.
            ServeConfigurationFile(
                bootstrap: bootstrap, redisURL: redis.url, namespace: "bench", groupID: "bench-serve",
                variants: ["control:1:\(path)"], topicList: topicList.path, instanceID: name)
        }

        let collector = PredictionCollector()
        let reader = Task { try await collector.follow(broker: broker, topic: topics.predictions, logger: logger) }
        let producer = try KafkaProducer(configuration: Self.producerConfiguration(broker), logger: logger)
        var stream = BenchEventStream(items: items.keys, users: users, seed: seed, topic: topics.interactions)

        do {
            progress("starting instance 1 (\(bundleURL.lastPathComponent), \(items.keys.count) items)")
            let first = try await ServeChild(configuration: configuration("bench-1", bundle: bundleURL.path), name: "1")
            try await first.waitReady()
            try await waitAssigned([first], partitions: inputPartitions)
            // A warm-up at the same rate first: the first fetches after a group settles are not
            // the steady state.
            _ = try await paced(rate: lightRate, seconds: 3, stream: &stream, producer: producer, collector: collector)
            let light = LightLoad(
                try await paced(rate: lightRate, stream: &stream, producer: producer, collector: collector))
            progress(
                "light load (\(lightRate) events/s): end to end p50 \(light.latency.endToEndMilliseconds["p50"] ?? 0) ms, p99 \(light.latency.endToEndMilliseconds["p99"] ?? 0) ms; daemon p50 \(light.latency.daemonTotalMilliseconds["p50"] ?? 0) ms, p99 \(light.latency.daemonTotalMilliseconds["p99"] ?? 0) ms; broker hops p50 in \(light.latency.inboundMilliseconds["p50"] ?? 0) ms, out \(light.latency.outboundMilliseconds["p50"] ?? 0) ms"
            )
            if lightLoadOnly {
                await first.stop()
                reader.cancel()
                _ = try? await reader.value
                try? await producer.shutdown(timeout: .seconds(5))
                await broker.stop()
                await redis.stop()
                return .lightLoadOnly(light)
            }
            let one = try await throughput(instances: 1, stream: &stream, producer: producer, collector: collector)
            progress("one instance: \(Int(one.eventsPerSecond)) events/s")

            progress("starting instance 2")
            let second = try await ServeChild(
                configuration: configuration("bench-2", bundle: bundleURL.path), name: "2")
            try await second.waitReady()
            try await waitAssigned([first, second], partitions: inputPartitions)
            let two = try await throughput(instances: 2, stream: &stream, producer: producer, collector: collector)
            progress("two instances: \(Int(two.eventsPerSecond)) events/s")

            let latency = try await paced(
                rate: two.eventsPerSecond / 2, stream: &stream, producer: producer, collector: collector)
            progress(
                "latency at \(Int(latency.targetEventsPerSecond)) events/s: p50 \(latency.endToEndMilliseconds["p50"] ?? 0) ms, p99 \(latency.endToEndMilliseconds["p99"] ?? 0) ms"
            )
            var memory: [Memory] = []
            for child in [first, second] {
                let (rss, peak) = child.memory()
                memory.append(
                    Memory(
                        bundle: bundleURL.lastPathComponent, bundleItems: items.keys.count, synthetic: items.synthetic,
                        rssBytes: rss, peakRSSBytes: peak))
            }
            let (prefixBytes, measured, keyBytes) = try await prefixMemory(redis: redis, prefixLength: 32)
            await first.stop()
            await second.stop()

            if let syntheticBundle {
                let url = URL(fileURLWithPath: syntheticBundle).standardizedFileURL
                if let syntheticItems, !FileManager.default.fileExists(atPath: url.path) {
                    _ = try SyntheticServeBundle.build(items: syntheticItems, output: url) { progress($0) }
                }
                let large = try ModelBundle(directory: url, verify: false).decodeJSON(
                    BundleItems.self, from: BundleItems.fileName)
                progress(
                    "serving the large bundle \(url.lastPathComponent) (\(large.keys.count) items\(large.synthetic ? ", synthetic" : ""))"
                )
                var config = configuration("bench-large", bundle: url.path)
                config.groupID = "bench-serve-large"
                let child = try await ServeChild(configuration: config, name: "large")
                try await child.waitReady(timeout: .seconds(600))
                try await waitAssigned([child], partitions: inputPartitions)
                var largeStream = BenchEventStream(
                    items: large.keys, users: users, seed: seed + 1, topic: topics.interactions)
                _ = try await throughput(
                    instances: 1, stream: &largeStream, producer: producer, collector: collector, count: 1000)
                let (rss, peak) = child.memory()
                memory.append(
                    Memory(
                        bundle: url.lastPathComponent, bundleItems: large.keys.count, synthetic: large.synthetic,
                        rssBytes: rss, peakRSSBytes: peak))
                await child.stop()
            }

            let report = Report(
                bundle: bundleURL.lastPathComponent, oneInstance: one, twoInstances: two,
                twoOverOne: two.eventsPerSecond / max(one.eventsPerSecond, 1e-9), latencyAtHalfLoad: latency,
                latencyAtLightLoad: light,
                daemonMemory: memory, redisBytesPerPrefix: prefixBytes, redisPrefixItems: 32,
                redisPrefixesMeasured: measured,
                meanItemKeyBytes: keyBytes)
            reader.cancel()
            _ = try? await reader.value  // the reader leaves its group before the broker stops
            try? await producer.shutdown(timeout: .seconds(5))
            await broker.stop()
            await redis.stop()
            return .full(report)
        } catch {
            reader.cancel()
            _ = try? await reader.value
            try? await producer.shutdown(timeout: .seconds(5))
            await broker.stop()
            await redis.stop()
            throw error
        }
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Data("[bench serve] \(line)\n".utf8))
    }

    /// The events' producer: the built-in producer defaults (linger 0, Nagle off), as a client of
    /// the daemon would have them. The daemons and the prediction reader likewise run the built-in
    /// consumer defaults, as a production consumer would: `fetch.wait.max.ms` 500 and
    /// `fetch.min.bytes` 1, so the broker answers a fetch as soon as a record is there. The
    /// embedded broker does so through its long-poll front (``FetchLongPollFront``); librdkafka's
    /// mock alone would hold each empty fetch for the whole wait.
    static func producerConfiguration(_ broker: EmbeddedBroker) -> KafkaProducerConfiguration {
        KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers)
    }

    /// Waits until the children together own all `partitions` input partitions (the group settled).
    private func waitAssigned(_ children: [ServeChild], partitions: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let owned = children.map { Int($0.metric("resid_serve_assigned_partitions") ?? 0) }
            if owned.allSatisfy({ $0 > 0 }), owned.reduce(0, +) == partitions { return }
            guard ContinuousClock.now < deadline else {
                throw HarnessFailure("consumer group did not settle: \(owned)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Produces a backlog as fast as possible and waits until every event has its prediction.
    private func throughput(
        instances: Int, stream: inout BenchEventStream, producer: KafkaProducer, collector: PredictionCollector,
        count: Int? = nil
    ) async throws -> Throughput {
        let total = count ?? events
        let batch = stream.next(total)
        let ids = batch.map(\.id)
        let start = ContinuousClock.now
        var offset = 0
        while offset < batch.count {
            let slice = Array(batch[offset..<min(offset + 2000, batch.count)])
            collector.sent(slice.map(\.id), at: ContinuousClock.now)
            let reports = try await producer.send(batch: slice.map(\.message))
            guard reports.allSatisfy(\.isDelivered) else { throw HarnessFailure("producing events failed") }
            offset += slice.count
        }
        let end = try await collector.waitForAll(ids, timeout: .seconds(600))
        let seconds = (end - start).seconds
        return Throughput(
            instances: instances, events: total, seconds: seconds, eventsPerSecond: Double(total) / seconds)
    }

    /// Produces at `rate` events/s for `seconds` (default `latencySeconds`) and reports latency
    /// percentiles.
    private func paced(
        rate: Double, seconds: Int? = nil, stream: inout BenchEventStream, producer: KafkaProducer,
        collector: PredictionCollector
    ) async throws -> Latency {
        let tick = Duration.milliseconds(10)
        let total = max(Int(rate * Double(seconds ?? latencySeconds)), 1)
        let events = stream.next(total)
        let start = ContinuousClock.now
        var sent = 0
        var pending: [Task<[KafkaDeliveryReport], any Error>] = []
        var step = 0
        while sent < total {
            step += 1
            let due = min(Int((rate * Double(step) * 0.01).rounded()), total)
            if due > sent {
                let slice = Array(events[sent..<due])
                collector.sent(slice.map(\.id), at: ContinuousClock.now)
                // Enqueued on this thread before the task first suspends: a plain Task would
                // start on the cooperative pool later, and that wait would count as latency.
                pending.append(Task.immediate { try await producer.send(batch: slice.map(\.message)) })
                sent = due
            }
            try await Task.sleep(until: start + tick * step, clock: .continuous)
        }
        let producedIn = (ContinuousClock.now - start).seconds
        for task in pending {
            guard try await task.value.allSatisfy(\.isDelivered) else {
                throw HarnessFailure("producing events failed")
            }
        }
        _ = try await collector.waitForAll(events.map(\.id), timeout: .seconds(300))
        let measured = collector.latencies(events.map(\.id))
        return Latency(
            targetEventsPerSecond: rate, achievedEventsPerSecond: Double(total) / producedIn, events: total,
            endToEndMilliseconds: Self.percentiles(measured.endToEnd),
            daemonTotalMilliseconds: Self.percentiles(measured.daemon),
            inboundMilliseconds: Self.percentiles(measured.inbound),
            outboundMilliseconds: Self.percentiles(measured.outbound))
    }

    static func percentiles(_ values: [Double]) -> [String: Double] {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return [:] }
        func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
        return [
            "p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": sorted[sorted.count - 1],
            "mean": sorted.reduce(0, +) / Double(sorted.count),
        ]
    }

    /// Mean `MEMORY USAGE` of prefixes holding `prefixLength` items.
    private func prefixMemory(redis: RedisServer, prefixLength: Int) async throws -> (Double, Int, Double) {
        let pool = RedisConnectionPool(configuration: redis.configuration(namespace: "bench"))
        defer { Task { await pool.close() } }
        let keys = RedisKeys(namespace: "bench")
        var total = 0.0
        var measured = 0
        var keyBytes = 0.0
        var itemCount = 0
        for user in 0..<users {
            let key = keys.prefix(user: BenchEventStream.user(user))
            let (value, usage) = try await pool.withConnection { connection in
                (
                    try await connection.command(RedisCommand("GET", key)),
                    try await connection.command(RedisCommand("MEMORY", "USAGE", key))
                )
            }
            guard let text = value.string, let items = text.split(separator: "\u{1E}").last?.split(separator: "\u{1F}"),
                items.count == prefixLength, let bytes = usage.integer
            else { continue }
            total += Double(bytes)
            measured += 1
            keyBytes += Double(items.reduce(0) { $0 + $1.utf8.count })
            itemCount += items.count
        }
        return (measured > 0 ? total / Double(measured) : 0, measured, itemCount > 0 ? keyBytes / Double(itemCount) : 0)
    }
}
