public import Foundation
import Kafka
import LocalServers
import Logging
import Serve
import Synchronization

/// One run of the streaming demo: servers, daemons, the replay and the tally.
public struct DemoRun: Sendable {
    public var events: DemoEvents
    public var bundle: URL
    public var instances: Int
    public var rate: Double
    public var idleTimeout: Double
    public var executable: URL
    public var topicList: URL

    /// A run of `events` against `instances` daemons serving `bundle` (an A/A split), offered
    /// at `rate` events per second (0: as fast as the broker takes them).
    public init(
        events: DemoEvents, bundle: URL, instances: Int, rate: Double, idleTimeout: Double, executable: URL,
        topicList: URL
    ) {
        self.events = events
        self.bundle = bundle
        self.instances = instances
        self.rate = rate
        self.idleTimeout = idleTimeout
        self.executable = executable
        self.topicList = topicList
    }

    /// ``run()``, cancelled on SIGINT/SIGTERM: it stops what it started when cancelled, so an
    /// interrupted demo leaves no broker, redis-server or daemon behind.
    public func runInterruptibly() async throws -> DemoSummary {
        let task = Task { try await run() }
        let sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                say("interrupted: stopping everything the demo started")
                task.cancel()
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return try await task.value
    }

    /// Starts everything, replays, and stops everything it started (also when cancelled).
    public func run() async throws -> DemoSummary {
        say("[2/5] embedded Kafka broker and private redis-server")
        var logger = Logger(label: "resid.demo")
        logger.logLevel = .warning
        let broker = try await EmbeddedBroker(executable: executable, topicList: topicList, logger: logger)
        let redis: RedisServer
        do {
            redis = try await RedisServer.start()
        } catch {
            await broker.stop()
            throw error
        }
        var daemons: [ServeChild] = []
        let outcome: Result<DemoSummary, any Error>
        do {
            say("broker \(broker.bootstrapServers.map(\.description).joined(separator: ",")), redis \(redis.url)")
            daemons = try await startDaemons(broker: broker, redis: redis)
            outcome = .success(try await replay(broker: broker, daemons: daemons, logger: logger))
        } catch {
            outcome = .failure(error)
        }
        say("[5/5] stopping \(daemons.count) daemons (SIGTERM: drain and commit), the broker and redis-server")
        for daemon in daemons { await daemon.stop(timeout: .seconds(60)) }
        await broker.stop()
        await redis.stop()
        return try outcome.get()
    }

    private func startDaemons(broker: EmbeddedBroker, redis: RedisServer) async throws -> [ServeChild] {
        say(
            "[3/5] \(instances) daemon instances in consumer group 'resid-demo', A/A variants control/treatment (50/50)"
        )
        let bootstrap = broker.bootstrapServers.map(\.description).joined(separator: ",")
        var daemons: [ServeChild] = []
        for index in 1...instances {
            let file = ServeConfigurationFile(
                bootstrap: bootstrap, redisURL: redis.url, namespace: "demo", groupID: "resid-demo",
                variants: ["control:0.5:\(bundle.path)", "treatment:0.5:\(bundle.path)"], topicList: topicList.path,
                instanceID: "demo-\(index)")
            daemons.append(try await ServeChild(configuration: file, name: "demo-\(index)"))
        }
        for daemon in daemons {
            do {
                try await daemon.waitReady(timeout: .seconds(180))
            } catch {
                for started in daemons { await started.stop(timeout: .seconds(10)) }
                throw error
            }
            say(
                "\(daemon.name) ready on http://127.0.0.1:\(daemon.httpPort) (/metrics, /health/ready, /admin/variants)"
            )
        }
        return daemons
    }

    private func replay(broker: EmbeddedBroker, daemons: [ServeChild], logger: Logger) async throws -> DemoSummary {
        // Outputs: a private consumer group reads predictions, dead letters and item SIDs.
        var consumerSettings = KafkaConsumerConfiguration(
            bootstrapServers: broker.bootstrapServers, groupID: "resid-demo-scoreboard-\(UUID().uuidString.prefix(8))",
            topics: ["resid.predictions.v1", "resid.deadletter.v1", "resid.item-sids.v1"])
        consumerSettings.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: consumerSettings, logger: logger)
        let board = SharedScoreboard(DemoScoreboard(events: events))
        let reader = Task {
            for try await message in consumer.messages {
                let now = ContinuousClock.now
                board.withLock {
                    $0.record(topic: message.topic, key: message.keyString, value: message.value, at: now)
                }
            }
        }
        defer { reader.cancel() }
        // Produce only once the reader owns its partitions, so end-to-end latencies do not
        // include its group join.
        let joinDeadline = ContinuousClock.now + .seconds(30)
        while ((try? consumer.assignment()) ?? []).isEmpty, ContinuousClock.now < joinDeadline {
            try await Task.sleep(for: .milliseconds(100))
        }

        say("[4/5] replaying")
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers), logger: logger)
        let clock = ContinuousClock()
        let items = events.messages.filter { $0.topic == DemoEvents.itemsTopic && $0.key.hasPrefix("new:") }
        let rest = events.messages.filter { !($0.topic == DemoEvents.itemsTopic && $0.key.hasPrefix("new:")) }
        _ = try await producer.send(batch: items.map(\.kafkaMessage))
        // New items first: wait until their SIDs are published (they then join every trie).
        let itemDeadline = clock.now + .seconds(30)
        while board.withLock({ $0.publishedNewSIDs.count }) < events.newItems.count, clock.now < itemDeadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        say(
            "new items: \(board.withLock { $0.publishedNewSIDs.count })/\(events.newItems.count) SIDs published to resid.item-sids.v1"
        )

        let start = clock.now
        var sent = 0
        var lastReport = start
        func report() {
            lastReport = clock.now
            let (predicted, dead) = board.withLock { ($0.predicted.count, $0.deadLetters) }
            let seconds = max(1e-9, (clock.now - start).seconds)
            say(
                "produced \(sent)/\(rest.count)  predictions \(predicted)/\(events.replayed.count)  dead letters \(dead)/\(events.malformed)  \(Int(Double(predicted) / seconds)) predictions/s"
            )
        }
        let chunk = rate > 0 ? max(1, Int(rate / 10)) : 500
        while sent < rest.count {
            try Task.checkCancellation()
            let slice = rest[sent..<min(rest.count, sent + chunk)]
            let now = clock.now
            board.withLock { state in
                for message in slice { if let id = message.eventID { state.producedAt[id] = now } }
            }
            _ = try await producer.send(batch: slice.map(\.kafkaMessage))
            sent += slice.count
            if rate > 0 {
                let due = start + .seconds(Double(sent) / rate)
                if due > clock.now { try await Task.sleep(until: due, clock: clock) }
            }
            if clock.now - lastReport >= .seconds(2) { report() }
        }
        // Drain: until every valid interaction is predicted and every bad event dead-lettered,
        // or nothing has come out for the idle timeout.
        while true {
            try Task.checkCancellation()
            let (complete, last) = board.withLock {
                ($0.isComplete && $0.deadLetters >= events.malformed, $0.lastOutput ?? start)
            }
            if complete || clock.now - last > .seconds(idleTimeout) { break }
            try await Task.sleep(for: .milliseconds(200))
            if clock.now - lastReport >= .seconds(2) { report() }
        }
        report()
        let elapsed = (board.withLock { $0.lastOutput } ?? clock.now) - start
        var health: [String: String] = [:]
        for daemon in daemons {
            health[daemon.name] = (try? HTTPProbe.get("/health/ready", port: daemon.httpPort))?.body ?? "unreachable"
        }
        try? await producer.shutdown(timeout: .seconds(10))
        reader.cancel()
        try? await consumer.close()
        return board.withLock {
            DemoSummary(
                board: $0, elapsed: elapsed.seconds, instances: instances, offeredRate: rate > 0 ? rate : nil,
                health: health)
        }
    }
}

/// The scoreboard shared by the reader task and the replay loop.
final class SharedScoreboard: Sendable {
    private let state: Mutex<DemoScoreboard>
    init(_ board: DemoScoreboard) { state = Mutex(board) }
    func withLock<T>(_ body: (inout DemoScoreboard) -> T) -> T { state.withLock { body(&$0) } }
}

extension DemoEvents.Message {
    var kafkaMessage: KafkaProducerMessage { KafkaProducerMessage(topic: topic, key: key, value: value) }
}
