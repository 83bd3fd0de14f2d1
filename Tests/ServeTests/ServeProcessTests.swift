import Data
import Foundation
import Kafka
import LocalServers
import Logging
import ReSIDTestKit
import Redis
import Serve
import ServingState
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `resid serve` as a child process: hard kills, graceful stops and live reloads.
@Suite("resid serve process (integration)", .serialized)
struct ServeProcessTests {
    /// `count` interaction events over `users` users; each user's items are distinct bundle items
    /// in order, so a prefix applied twice would show a repeated item.
    static func events(
        topic: String, prefix: String, users: Int, perUser: Int, offset: Int = 0
    ) -> [KafkaProducerMessage] {
        let keys = TestBundle.dataset.items.keys
        var messages: [KafkaProducerMessage] = []
        for step in 0..<perUser {
            for user in 0..<users {
                messages.append(
                    TestEvents.message(
                        topic,
                        TestEvents.interaction(
                            id: "\(prefix)-\(user)-\(step)", user: "user-\(user)",
                            item: keys[(user * 3 + step + offset) % keys.count])))
            }
        }
        return messages
    }

    @Test(.timeLimit(.minutes(3)))
    func killNineThenRestartLosesNothingAndAppliesNothingTwice() async throws {
        let topics = TestTopics("kill")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let daemon = try await ServeProcess(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "kill",
                variants: ["control:1:\(TestBundle.url.path)"], instanceID: "kill-a")
            try await daemon.waitReady()
            // A steady stream (10 events every 20 ms) that keeps flowing through the kill and the
            // restart, so the kill lands while batches are in flight.
            let first = Self.events(topic: topics.topics.interactions, prefix: "a", users: 30, perUser: 8)
            let second = Self.events(topic: topics.topics.interactions, prefix: "b", users: 30, perUser: 4, offset: 8)
            let stream = first + second
            let broker = servers.broker
            let feeder = Task {
                var logger = Logger(label: "resid.test.feeder")
                logger.logLevel = .warning
                let producer = try KafkaProducer(configuration: broker.producerConfiguration(), logger: logger)
                var start = 0
                while start < stream.count {
                    let chunk = Array(stream[start..<min(start + 10, stream.count)])
                    let reports = try await producer.send(batch: chunk)
                    guard reports.allSatisfy(\.isDelivered) else { throw TestFailure("feeder: delivery failed") }
                    start += chunk.count
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await producer.shutdown(timeout: .seconds(5))
            }
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.predictions) >= 50 })
            daemon.signal(SIGKILL)
            _ = try await daemon.waitExit(timeout: .seconds(10))
            let beforeRestart = reader.count(topics.topics.predictions)
            try await daemon.launch()
            try await daemon.waitReady()
            try await feeder.value
            let all = first + second
            let ids = Set(
                all.map { String(decoding: $0.value ?? [], as: UTF8.self) }.compactMap { text in
                    text.range(of: #""event_id":""#).map { String(text[$0.upperBound...].prefix { $0 != "\"" }) }
                })
            #expect(ids.count == all.count)
            let complete = try await reader.read(timeout: .seconds(60)) { reader in
                let seen = Set(
                    ((try? reader.decoded(Prediction.self, topic: topics.topics.predictions)) ?? []).map(
                        \.source.event_id))
                return seen.isSuperset(of: ids)
            }
            #expect(complete, "missing predictions; log: \(daemon.log.suffix(2000))")
            let predictions = try reader.decoded(Prediction.self, topic: topics.topics.predictions)
            // Repeats (the batch in flight at the kill) carry the same source event id.
            var eventAt: [String: String] = [:]
            for prediction in predictions {
                let position = "\(prediction.source.partition)@\(prediction.source.offset)"
                if let earlier = eventAt[position] { #expect(earlier == prediction.source.event_id) }
                eventAt[position] = prediction.source.event_id
            }
            // No prefix applied twice: each user's prefix is exactly the items sent, in order.
            let pool = RedisConnectionPool(configuration: servers.redis.configuration(namespace: "kill"))
            let keys = TestBundle.dataset.items.keys
            for user in 0..<30 {
                let expected = (0..<12).map { keys[(user * 3 + $0) % keys.count] }
                let stored = try await pool.withConnection {
                    try await $0.command(RedisCommand("GET", RedisKeys(namespace: "kill").prefix(user: "user-\(user)")))
                }
                let items = stored.string?.split(separator: "\u{1E}").last?.split(separator: "\u{1F}").map(String.init)
                #expect(items == expected, "user-\(user)")
            }
            await pool.close()
            print(
                "kill -9 test: \(beforeRestart) predictions before the kill, \(predictions.count) in all for \(all.count) events (\(predictions.count - all.count) repeats)"
            )
            await reader.close()
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitExit(timeout: .seconds(30)) == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func sigtermDrainsAndCommitsBeforeExit() async throws {
        let topics = TestTopics("term")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            try await Self.sigtermScenario(servers: servers, topics: topics)
        }
    }

    static func sigtermScenario(servers: IntegrationServers, topics: TestTopics) async throws {
        let group = uniqueTestName("serve")
        let daemon = try await ServeProcess(
            servers: servers, topics: topics.topics, groupID: group, namespace: "term",
            variants: ["control:1:\(TestBundle.url.path)"], instanceID: "term-a")
        try await daemon.waitReady()
        try await produce(
            Self.events(topic: topics.topics.interactions, prefix: "t", users: 50, perUser: 20), broker: servers.broker)
        let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
        let started = try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.predictions) >= 1 }
        #expect(started)
        daemon.signal(SIGTERM)
        let status = try await daemon.waitExit(timeout: .seconds(60))
        let log = daemon.log
        #expect(status == 0)
        #expect(log.contains("draining"))
        // Everything the daemon produced before exiting.
        _ = try await reader.read(timeout: .seconds(5)) { _ in false }
        let predictions = try reader.decoded(Prediction.self, topic: topics.topics.predictions)
        let committed = try await Self.committedOffsets(broker: servers.broker, group: group, topics: topics)
        #expect(!committed.isEmpty)
        Self.expectCommittedMatchesPredicted(
            committed: committed, predictions: predictions, partitions: topics.partitions)
        await reader.close()
    }

    static func committedOffsets(
        broker: EmbeddedBroker, group: String, topics: TestTopics
    ) async throws -> [Int32: Int64] {
        var logger = Logger(label: "resid.test.offsets")
        logger.logLevel = .warning
        let probe = try KafkaConsumer(
            configuration: broker.consumerConfiguration(groupID: group, topics: [topics.topics.interactions]),
            logger: logger)
        let partitions = (0..<Int32(topics.partitions)).map {
            KafkaTopicPartition(topic: topics.topics.interactions, partition: $0)
        }
        let committed = try await probe.committedOffsets(for: partitions)
        try await probe.close()
        var result: [Int32: Int64] = [:]
        for (partition, offset) in committed { result[partition.partition] = offset }
        return result
    }

    /// Every committed event was predicted, and nothing predicted was left uncommitted: the
    /// batch in flight at SIGTERM was finished and committed.
    static func expectCommittedMatchesPredicted(committed: [Int32: Int64], predictions: [Prediction], partitions: Int) {
        for partition in 0..<Int32(partitions) {
            let limit = committed[partition] ?? 0
            let offsets = Set(predictions.filter { $0.source.partition == partition }.map(\.source.offset))
            #expect(offsets == Set(0..<limit), "partition \(partition): committed \(limit), predicted \(offsets.count)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func sighupChangesSharesLive() async throws {
        let topics = TestTopics("hup")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let path = TestBundle.url.path
            let daemon = try await ServeProcess(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "hup",
                variants: ["control:1:\(path)", "treatment:0:\(path)"], instanceID: "hup-a")
            try await daemon.waitReady()
            let before = Self.events(topic: topics.topics.interactions, prefix: "before", users: 40, perUser: 1)
            try await produce(before, broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.predictions) >= 40 })
            #expect(
                try reader.decoded(Prediction.self, topic: topics.topics.predictions).allSatisfy {
                    $0.variant == "control"
                })

            try daemon.rewriteVariants(["control:0:\(path)", "treatment:1:\(path)"])
            daemon.signal(SIGHUP)
            let deadline = ContinuousClock.now + .seconds(20)
            while !(try daemon.httpGet("/metrics").body.contains("resid_serve_reloads_total 1")) {
                guard ContinuousClock.now < deadline else { throw TestFailure("no reload: \(daemon.log.suffix(2000))") }
                try await Task.sleep(for: .milliseconds(100))
            }
            let admin = try daemon.httpGet("/admin/variants")
            #expect(admin.status == 200 && admin.body.contains("\"treatment\""))
            let after = Self.events(
                topic: topics.topics.interactions, prefix: "after", users: 40, perUser: 1, offset: 1)
            try await produce(after, broker: servers.broker)
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.predictions) >= 80 })
            let predictions = try reader.decoded(Prediction.self, topic: topics.topics.predictions)
            #expect(predictions.count == 80)
            #expect(
                predictions.filter { $0.source.event_id.hasPrefix("after") }.allSatisfy { $0.variant == "treatment" })
            #expect(predictions.filter { $0.source.event_id.hasPrefix("after") }.count == 40)

            // The HTTP endpoints, and hostile requests that must not hurt the server.
            let metrics = try daemon.httpGet("/metrics").body
            #expect(metrics.contains("resid_serve_predictions_total{variant=\"treatment\"} 40"))
            #expect(metrics.contains("resid_serve_predictions_total{variant=\"control\"} 40"))
            #expect(!metrics.contains("user-"))
            #expect(try daemon.httpGet("/health/live").status == 200)
            #expect(try daemon.httpGet("/nope").status == 404)
            #expect(try daemon.rawHTTP("BLAH\r\n\r\n").status == 400)
            #expect(
                (400..<500).contains(try daemon.rawHTTP("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status))
            #expect(
                try daemon.rawHTTP("GET /" + String(repeating: "a", count: 10_000) + " HTTP/1.1\r\n\r\n").status == 404)
            #expect(try daemon.httpGet("/health/ready").status == 200)
            await reader.close()
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitExit(timeout: .seconds(30)) == 0)
        }
    }
}
