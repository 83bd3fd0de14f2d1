import Foundation
import Kafka
import LocalServers
import Logging
import ReSIDTestKit
import Synchronization
import Testing

/// The Kafka module against the embedded broker (a `resid broker` process speaking the Kafka
/// protocol over loopback TCP). Each test starts its own broker with unique topic and group
/// names; group joins (about 3 s on the mock cluster) are the slow part.
@Suite("Kafka against the embedded broker", .timeLimit(.minutes(2)))
struct KafkaIntegrationTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.kafka")
        logger.logLevel = .warning
        return logger
    }()

    @Test func producedMessagesAreConsumedInKeyOrder() async throws {
        let topic = uniqueTestName("test.roundtrip")
        try await withIntegrationServers(topics: [(topic, 3)]) { servers in
            let broker = servers.broker
            let producer = try KafkaProducer(configuration: broker.producerConfiguration(), logger: Self.logger)
            let sent = (0..<60).map {
                KafkaProducerMessage(topic: topic, key: "user-\($0 % 6)", value: Array("\($0)".utf8))
            }
            let reports = try await producer.send(batch: sent)
            #expect(reports.count == 60)
            #expect(reports.allSatisfy { $0.isDelivered })
            try await producer.shutdown(timeout: .seconds(5))

            let consumer = try KafkaConsumer(
                configuration: broker.consumerConfiguration(groupID: uniqueTestName("group"), topics: [topic]),
                logger: Self.logger)
            var received: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                received.append(message)
                if received.count == sent.count { break }
            }
            try await consumer.commit(received)
            let committed = try await consumer.committedOffsets(
                for: (0..<3).map { KafkaTopicPartition(topic: topic, partition: $0) })
            try await consumer.close()

            let numbers = received.map { Int(String(decoding: $0.value ?? [], as: UTF8.self)) ?? -1 }
            #expect(numbers.sorted() == Array(0..<60))
            for key in 0..<6 {
                let ofKey = received.filter { $0.keyString == "user-\(key)" }
                // One key, one partition, and the partition keeps the produce order.
                #expect(Set(ofKey.map(\.partition)).count == 1)
                let order = ofKey.map { Int(String(decoding: $0.value ?? [], as: UTF8.self)) ?? -1 }
                #expect(order == order.sorted(), "key user-\(key) out of order: \(order)")
            }
            var expected: [KafkaTopicPartition: Int64] = [:]
            for message in received {
                expected[message.topicPartition] = max(expected[message.topicPartition] ?? 0, message.offset + 1)
            }
            #expect(committed == expected)
        }
    }

    @Test func everyProducedMessageGetsItsDeliveryReport() async throws {
        let topic = uniqueTestName("test.delivery")
        try await withIntegrationServers(topics: [(topic, 4)]) { servers in
            let producer = try KafkaProducer(configuration: servers.broker.producerConfiguration(), logger: Self.logger)
            let batch = (0..<500).map {
                KafkaProducerMessage(topic: topic, key: "k\($0)", value: Array(repeating: 7, count: 100))
            }
            async let batchReports = producer.send(batch: batch)
            let singleReports = try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await producer.send(
                            KafkaProducerMessage(topic: topic, key: "s\(index)", value: Array("single".utf8)))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let reports = try await batchReports + singleReports
            #expect(reports.count == 550)
            #expect(reports.allSatisfy { $0.isDelivered && $0.topic == topic && $0.offset != nil })
            // A fresh topic: each partition's offsets are exactly 0..<n, each reported once.
            for partition in Set(reports.map(\.partition)) {
                let offsets = reports.filter { $0.partition == partition }.compactMap(\.offset).sorted()
                #expect(offsets == Array(0..<Int64(offsets.count)))
            }
            #expect(producer.inFlightCount == 0)

            // A message the cluster cannot take fails in its report, not silently.
            await #expect(throws: KafkaError.self) {
                try await producer.send(KafkaProducerMessage(topic: topic, key: "x", value: [1], partition: 99))
            }
            try await producer.flush(timeout: .seconds(5))
            try await producer.shutdown(timeout: .seconds(5))
        }
    }

    @Test func twoConsumersSplitPartitionsAndTheSurvivorTakesOver() async throws {
        let topic = uniqueTestName("test.group")
        let group = uniqueTestName("group")
        try await withIntegrationServers(topics: [(topic, 4)]) { servers in
            let configuration = servers.broker.consumerConfiguration(groupID: group, topics: [topic])
            let assignments = AssignmentLog()
            let first = try KafkaConsumer(configuration: configuration, logger: Self.logger)
            let firstTask = assignments.follow(first, as: "first")
            try await waitUntil("first consumer owns all 4 partitions") { assignments["first"].count == 4 }

            let second = try KafkaConsumer(configuration: configuration, logger: Self.logger)
            let secondTask = assignments.follow(second, as: "second")
            try await waitUntil("both consumers own a share") {
                let (a, b) = (assignments["first"], assignments["second"])
                return !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) && a.union(b).count == 4
            }

            // The first leaves: the group gives everything to the second.
            firstTask.cancel()
            _ = await firstTask.result
            try await first.close()
            try await waitUntil("the survivor owns all 4 partitions") { assignments["second"].count == 4 }
            #expect(try second.assignment().count == 4)
            secondTask.cancel()
            _ = await secondTask.result
            try await second.close()
        }
    }

    @Test func aRestartedConsumerResumesFromTheCommittedOffset() async throws {
        let topic = uniqueTestName("test.resume")
        let group = uniqueTestName("group")
        try await withIntegrationServers(topics: [(topic, 2)]) { servers in
            let broker = servers.broker
            let producer = try KafkaProducer(configuration: broker.producerConfiguration(), logger: Self.logger)
            let sent = (0..<20).map { KafkaProducerMessage(topic: topic, key: "k\($0)", value: Array("\($0)".utf8)) }
            #expect(try await producer.send(batch: sent).allSatisfy { $0.isDelivered })
            try await producer.shutdown(timeout: .seconds(5))
            let configuration = broker.consumerConfiguration(groupID: group, topics: [topic])

            // First run: process 10 messages, store and commit exactly those.
            let first = try KafkaConsumer(configuration: configuration, logger: Self.logger)
            var done: [KafkaConsumerMessage] = []
            for try await message in first.messages {
                try first.storeOffset(for: message)
                done.append(message)
                if done.count == 10 { break }
            }
            try await first.commitStoredOffsets()
            let partitions = (0..<2).map { KafkaTopicPartition(topic: topic, partition: $0) }
            let committed = try await first.committedOffsets(for: partitions)
            try await first.close()
            var expected: [KafkaTopicPartition: Int64] = [:]
            for message in done {
                expected[message.topicPartition] = max(expected[message.topicPartition] ?? 0, message.offset + 1)
            }
            #expect(committed == expected)

            // Second run, same group: starts at the commit, sees only the other 10.
            let second = try KafkaConsumer(configuration: configuration, logger: Self.logger)
            var rest: [KafkaConsumerMessage] = []
            for try await message in second.messages {
                rest.append(message)
                if rest.count == 10 { break }
            }
            try await second.close()
            for partition in partitions {
                let firstOffset = rest.filter { $0.topicPartition == partition }.map(\.offset).min()
                if let firstOffset { #expect(firstOffset == committed[partition] ?? 0) }
            }
            let all = (done + rest).map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(Set(all) == Set((0..<20).map(String.init)))
            #expect(all.count == 20)
        }
    }

    @Test func theBrokerPreCreatesTheRepositoryTopics() async throws {
        try await withIntegrationServers { servers in
            let consumer = try KafkaConsumer(
                configuration: servers.broker.consumerConfiguration(
                    groupID: uniqueTestName("group"), topics: ["resid.interactions.v1", "resid.item-sids.v1"]),
                logger: Self.logger)
            var assigned: [KafkaTopicPartition] = []
            for try await event in consumer.events {
                if case .partitionsAssigned(let partitions) = event {
                    assigned = partitions
                    break
                }
            }
            try await consumer.close()
            #expect(assigned.filter { $0.topic == "resid.interactions.v1" }.count == 12)
            #expect(assigned.filter { $0.topic == "resid.item-sids.v1" }.count == 3)
        }
    }
}

/// Each consumer's current assignment, kept up to date from its event sequence.
final class AssignmentLog: Sendable {
    private let owned = Mutex<[String: Set<KafkaTopicPartition>]>([:])

    subscript(name: String) -> Set<KafkaTopicPartition> {
        owned.withLock { $0[name] ?? [] }
    }

    /// Iterates `consumer`'s events in a task until it is cancelled, applying rebalances.
    func follow(_ consumer: KafkaConsumer, as name: String) -> Task<Void, any Error> {
        Task {
            for try await event in consumer.events {
                switch event {
                case .partitionsAssigned(let partitions):
                    owned.withLock { $0[name, default: []].formUnion(partitions) }
                case .partitionsRevoked(let partitions):
                    owned.withLock { $0[name, default: []].subtract(partitions) }
                case .message:
                    break
                }
            }
        }
    }
}

/// Polls `condition` every 50 ms; fails the test if it does not hold within `timeout`.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out after \(timeout) waiting until \(what)")
    throw KafkaError(code: .timedOut, message: "waiting until \(what)")
}
