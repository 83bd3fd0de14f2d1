import Data
import Foundation
import Inference
import Kafka
import LocalServers
import Logging
import ReSIDTestKit
import Redis
import Serve
import ServingState
import Testing
import Tokenizer
import Training

#if canImport(Glibc)
import Glibc
#endif

/// The daemon under hostile input, outages and lost state, against a real redis-server and the
/// embedded broker: each test is one way a deployment goes wrong.
@Suite("Serve daemon under hostile input and outages (integration)", .serialized)
struct ReliabilityIntegrationTests {
    /// Runs `body` against the integration servers and one ready instance reading fresh topics
    /// of one partition (so offsets order the events), and stops the instance after.
    func withReadyInstance(
        _ label: String, _ body: (IntegrationServers, ServeTopics, ServeInstance) async throws -> Void
    ) async throws {
        let topics = TestTopics(label, partitions: 1)
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let instance = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: label)
            try await instance.waitReady()
            try await body(servers, topics.topics, instance)
            try await instance.stop()
        }
    }

    @Test(
        "an event over serve.maxEventBytes is dead-lettered as a reference and the partition moves on",
        .timeLimit(.minutes(2)))
    func oversizedEventDoesNotStallItsPartition() async throws {
        try await withReadyInstance("oversized") { servers, topics, instance in
            let keys = TestBundle.dataset.items.keys
            // 800 KB: its whole value in base64 would be a dead letter over librdkafka's
            // 1,000,000-byte message.max.bytes.
            let padding = String(repeating: "p", count: 800_000)
            let poison = Array(
                #"{"schema_version":1,"event_id":"big","user":"u1","item":"\#(keys[0])","type":"view","timestamp_ms":1,"pad":"\#(padding)"}"#
                    .utf8)
            try await produce(
                [
                    KafkaProducerMessage(topic: topics.interactions, key: "u1", value: poison),
                    TestEvents.message(
                        topics.interactions, TestEvents.interaction(id: "after", user: "u1", item: keys[1])),
                ], broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.deadLetter, topics.predictions])
            let done = try await reader.read(timeout: .seconds(40)) {
                $0.count(topics.deadLetter) >= 1 && $0.count(topics.predictions) >= 1
            }
            #expect(done, "the partition stalled behind the oversized event")
            let letters = try reader.decoded(DeadLetter.self, topic: topics.deadLetter)
            let letter = try #require(letters.first)
            #expect(letter.reason.contains("oversized") && letter.reason.contains("\(poison.count + 2) bytes"))
            #expect(letter.original_bytes == poison.count && letter.original_truncated == true)
            #expect(Data(base64Encoded: letter.original_base64)?.count == DeadLetterRecord.excerptBytes)
            #expect((reader.messages[topics.deadLetter]?.first?.value?.count ?? .max) < 4096)
            #expect(try reader.decoded(Prediction.self, topic: topics.predictions).map(\.source.event_id) == ["after"])
            #expect(await eventually { instance.metrics.value(.oversizedEvents) == 1 })
            await reader.close()
        }
    }

    @Test(
        "a message key that is not valid UTF-8 is dead-lettered naming the key, never decoded lossily",
        .timeLimit(.minutes(2)))
    func invalidUTF8KeyIsRefused() async throws {
        try await withReadyInstance("utf8key") { servers, topics, instance in
            let item = TestBundle.dataset.items.keys[0]
            // `u\xff` decoded lossily is `u\u{FFFD}`, the user this event names.
            let value = Array(
                #"{"schema_version":1,"event_id":"lossy","user":"u\uFFFD","item":"\#(item)","type":"view","timestamp_ms":1}"#
                    .utf8)
            try await produce(
                [
                    KafkaProducerMessage(topic: topics.interactions, key: [UInt8(ascii: "u"), 0xFF], value: value),
                    TestEvents.message(topics.interactions, TestEvents.interaction(id: "fine", user: "u2", item: item)),
                ], broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.deadLetter, topics.predictions])
            #expect(
                try await reader.read(timeout: .seconds(30)) {
                    $0.count(topics.predictions) >= 1 && $0.count(topics.deadLetter) >= 1
                })
            let letters = try reader.decoded(DeadLetter.self, topic: topics.deadLetter)
            #expect(
                letters.count == 1 && letters.first?.field == "key"
                    && letters.first?.reason.contains("not valid UTF-8") == true)
            #expect(try reader.decoded(Prediction.self, topic: topics.predictions).map(\.source.event_id) == ["fine"])
            await reader.close()
        }
    }

    @Test("an event id repeated at a new offset is applied and predicted once", .timeLimit(.minutes(2)))
    func duplicateEventIDIsAppliedOnce() async throws {
        try await withReadyInstance("duplicate") { servers, topics, instance in
            let keys = TestBundle.dataset.items.keys
            let events = [("e1", keys[0]), ("e2", keys[1]), ("e1", keys[0]), ("e3", keys[2]), ("e2", keys[1])]
            try await produce(
                events.map {
                    TestEvents.message(topics.interactions, TestEvents.interaction(id: $0.0, user: "dup", item: $0.1))
                },
                broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.predictions])
            // The last event is a duplicate: once the metric counts two, everything was read.
            let deadline = ContinuousClock.now + .seconds(30)
            while instance.metrics.value(.duplicateEvents) < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await reader.read(timeout: .seconds(3)) { $0.count(topics.predictions) > 3 }
            let predicted = try reader.decoded(Prediction.self, topic: topics.predictions).map(\.source.event_id)
            #expect(predicted == ["e1", "e2", "e3"])
            #expect(instance.metrics.value(.duplicateEvents) == 2)
            let pool = RedisConnectionPool(configuration: servers.redis.configuration(namespace: "duplicate"))
            let stored = try await pool.withConnection {
                try await $0.command(RedisCommand("GET", RedisKeys(namespace: "duplicate").prefix(user: "dup")))
            }
            #expect(
                stored.string?.split(separator: "\u{1E}").last?.split(separator: "\u{1F}").map(String.init) == [
                    keys[0], keys[1], keys[2],
                ])
            await pool.close()
            await reader.close()
        }
    }

    /// The fields of a bundle item whose placement has a free trained level-3 code.
    static func placeableFields(_ instance: ServeInstance) throws -> [String: [String]] {
        let bundle = instance.variants.snapshot().variants[0].catalog.bundle
        let source = try (0..<TestBundle.itemCount).first { index in
            let vectors = try bundle.tokenizer.vectors([.init(key: "probe", values: TestBundle.fields(ofItem: index))])
            let placement = try bundle.tokenizer.assigner.place(vectors)[0]
            return bundle.frozenSIDs.takenCodes(c1: placement.c1, c2: placement.c2).count < bundle.codeSizes[2]
        }
        return TestBundle.fields(ofItem: try #require(source, "every group of the test bundle is full"))
    }

    @Test(
        "a claim store that lost its claims is refused at start, restored on request, and never reuses a published SID",
        .timeLimit(.minutes(3)))
    func lostClaimsNeverReuseASID() async throws {
        let topics = TestTopics("claims")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let first = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "claims",
                instanceID: "claims-a")
            try await first.waitReady()
            let fields = try Self.placeableFields(first)
            try await produce(
                [
                    TestEvents.message(
                        topics.topics.items, try TestEvents.item(id: "i-1", item: "first-new", fields: fields))
                ], broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.itemSIDs])
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.itemSIDs) >= 1 })

            // Lost while running: the next new item of the same group would get the same code.
            let pool = RedisConnectionPool(configuration: servers.redis.configuration(namespace: "claims"))
            _ = try await pool.withConnection { try await $0.command(RedisCommand("FLUSHALL")) }
            try await produce(
                [
                    TestEvents.message(
                        topics.topics.items, try TestEvents.item(id: "i-2", item: "second-new", fields: fields))
                ], broker: servers.broker)
            let deadline = ContinuousClock.now + .seconds(20)
            while first.health.isLive, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(first.health.failure?.contains("already holds") == true)
            try await reader.read(timeout: .seconds(2)) { _ in false }
            #expect(try reader.decoded(ItemSID.self, topic: topics.topics.itemSIDs).map(\.item) == ["first-new"])
            try? await first.stop()

            // Lost before a start: refused, naming the items.
            let refused = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "claims",
                instanceID: "claims-b")
            let refusedBy = ContinuousClock.now + .seconds(30)
            while refused.health.failure == nil, ContinuousClock.now < refusedBy {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(refused.health.failure?.contains("lost the claims of 1 of 1") == true)
            #expect(!refused.health.isReady)
            try? await refused.stop()

            // Restored from the topic: the pending item gets a SID of its own.
            let restored = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "claims",
                instanceID: "claims-c",
                restoreClaims: true)
            try await restored.waitReady()
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.itemSIDs) >= 2 })
            let records = try reader.decoded(ItemSID.self, topic: topics.topics.itemSIDs)
            #expect(records.map(\.item) == ["first-new", "second-new"])
            #expect(Set(records.map(\.sid)).count == records.count, "two items share a SID: \(records.map(\.sid))")
            await pool.close()
            await reader.close()
            try await restored.stop()
        }
    }

    @Test(
        "Redis down for 20 s: not ready meanwhile, no exit, ready again and nothing lost after", .timeLimit(.minutes(3))
    )
    func redisOutageIsWaitedOut() async throws {
        try await withReadyInstance("outage") { servers, topics, instance in
            let keys = TestBundle.dataset.items.keys
            await servers.redis.kill()
            let notReadyBy = ContinuousClock.now + .seconds(5)
            while instance.health.isReady, ContinuousClock.now < notReadyBy {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!instance.health.isReady)
            #expect(instance.health.notReadyReasons.contains("Redis unreachable"))
            try await produce(
                (0..<10).map {
                    TestEvents.message(
                        topics.interactions, TestEvents.interaction(id: "during-\($0)", user: "o\($0)", item: keys[$0]))
                },
                broker: servers.broker)
            // Longer than the Redis client's give-up time (10 s), after which the daemon used to exit.
            try await Task.sleep(for: .seconds(20))
            #expect(instance.health.isLive, "the daemon gave up: \(instance.health.failure ?? "")")
            #expect(!instance.health.isReady)
            try await servers.redis.restart()
            try await instance.waitReady(timeout: .seconds(20))
            let reader = try TopicReader(broker: servers.broker, topics: [topics.predictions])
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.predictions) >= 10 })
            #expect(
                Set(try reader.decoded(Prediction.self, topic: topics.predictions).map(\.source.event_id)).count == 10)
            #expect(await eventually { instance.metrics.value(.redisOutageWaits) > 0 })
            await reader.close()
        }
    }

    @Test("readiness waits for the item-SID replay and drops while no broker answers", .timeLimit(.minutes(2)))
    func readinessMeansCanProcessNow() async throws {
        let topics = TestTopics("ready", partitions: 1)
        let servers = try await IntegrationServers.start(topics: topics.brokerTopics)
        do {
            let instance = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "ready")
            let port = try await instance.http.boundPort()
            // Until the replay is done the daemon does not consume and says why.
            let early = try HTTPProbe.get("/health/ready", port: port)
            if !instance.health.itemSIDsCaughtUp {
                #expect(early.status == 503 && early.body.contains("item-SID topic not yet replayed"))
            }
            try await instance.waitReady()
            #expect(try HTTPProbe.get("/health/ready", port: port).status == 200)
            await servers.broker.stop()
            let deadline = ContinuousClock.now + .seconds(15)
            while instance.health.isReady, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let answer = try HTTPProbe.get("/health/ready", port: port)
            #expect(answer.status == 503 && answer.body.contains("no Kafka broker reachable"))
            #expect(try HTTPProbe.get("/health/live", port: port).status == 200)
            try? await instance.stop()
        } catch {
            await servers.stop()
            throw error
        }
        await servers.stop()
    }

    @Test("a producer whose idempotence state the cluster lost is replaced without a restart", .timeLimit(.minutes(2)))
    func producerStateLossIsRecovered() async throws {
        try await withReadyInstance("fenced") { servers, topics, instance in
            // What librdkafka raises when the brokers no longer know the producer id.
            instance.producer.current.raiseFatalErrorForTesting(code: 59, reason: "the cluster lost this producer id")
            let keys = TestBundle.dataset.items.keys
            try await produce(
                (0..<5).map {
                    TestEvents.message(
                        topics.interactions, TestEvents.interaction(id: "f-\($0)", user: "f\($0)", item: keys[$0]))
                },
                broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.predictions])
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.predictions) >= 5 })
            #expect(await eventually { instance.metrics.value(.producerRenewals) == 1 })
            #expect(instance.health.isLive, "\(instance.health.failure ?? "")")
            await reader.close()
        }
    }

    @Test(
        "an input partition whose log restarted below the committed offset is held and reported, not skipped",
        .timeLimit(.minutes(2)))
    func recreatedTopicIsHeld() async throws {
        let topics = TestTopics("recreated", partitions: 1)
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            var logger = Logger(label: "resid.test.group")
            logger.logLevel = .warning
            let groupID = uniqueTestName("serve")
            let partition = KafkaTopicPartition(topic: topics.topics.interactions, partition: 0)
            // The group's position from the topic's previous life.
            let previous = try KafkaConsumer(
                configuration: servers.broker.consumerConfiguration(
                    groupID: groupID, topics: [topics.topics.interactions]), logger: logger)
            var iterator = previous.events.makeAsyncIterator()
            let assignedBy = ContinuousClock.now + .seconds(30)
            var assigned = false
            while !assigned, ContinuousClock.now < assignedBy, let events = try await iterator.nextBatch() {
                assigned = events.contains { if case .partitionsAssigned = $0 { true } else { false } }
            }
            try await previous.commit(offsets: [partition: 500])
            try await previous.close()

            try await produce(
                [
                    TestEvents.message(
                        topics.topics.interactions,
                        TestEvents.interaction(id: "r-1", user: "r", item: TestBundle.dataset.items.keys[0]))
                ],
                broker: servers.broker)
            let instance = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: groupID, namespace: "recreated")
            let deadline = ContinuousClock.now + .seconds(30)
            while instance.health.heldPartitions.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(instance.health.heldPartitions == [partition])
            #expect(instance.health.notReadyReasons.contains { $0.contains("re-created or truncated") })
            #expect(await eventually { instance.metrics.value(.topicResets) == 1 })
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
            try await reader.read(timeout: .seconds(3)) { _ in false }
            #expect(reader.count(topics.topics.predictions) == 0)
            await reader.close()
            try await instance.stop()
        }
    }

    @Test("probes are answered at once while idle connections and a slow client hold sockets", .timeLimit(.minutes(1)))
    func probesAreServedConcurrently() async throws {
        let health = ServeHealth()
        let variants = try VariantSet(
            variants: [VariantSpec(name: "control", path: TestBundle.url.path, share: 1)], salt: "s", beamWidth: 20,
            logger: Logger(label: "resid.test.http"))
        let http = ServeHTTPService(
            host: "127.0.0.1", port: 0, metrics: ServeMetrics(), health: health, variants: variants)
        let server = Task { try await http.run() }
        defer { server.cancel() }
        let port = try await http.boundPort()
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for index in 0..<11 {
            let fd = try Self.connect(port: port)
            held.append(fd)
            // The last one is a slow client: half a request line, then nothing.
            if index == 10 { _ = "GET /health/li".withCString { send(fd, $0, 14, Int32(MSG_NOSIGNAL)) } }
        }
        let start = ContinuousClock.now
        let live = try HTTPProbe.get("/health/live", port: port)
        let elapsed = ContinuousClock.now - start
        #expect(live.status == 200)
        #expect(elapsed < .milliseconds(500), "a probe waited \(elapsed) behind idle connections")
        let ready = try HTTPProbe.get("/health/ready", port: port)
        #expect(ready.status == 503 && ready.body.contains("item-SID topic not yet replayed"))
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect failed") }
        return fd
    }
}
