import Foundation
import Kafka
import LocalServers
import Logging
import ReSIDTestKit

/// Reads output topics from their beginning (own consumer group) and collects messages until a
/// condition holds or a deadline passes.
final class TopicReader: @unchecked Sendable {
    private let consumer: KafkaConsumer
    private var iterator: KafkaConsumerEvents.Iterator
    /// Every message read so far, per topic, in read order.
    private(set) var messages: [String: [KafkaConsumerMessage]] = [:]

    init(broker: EmbeddedBroker, topics: [String]) throws {
        var logger = Logger(label: "resid.test.reader")
        logger.logLevel = .warning
        consumer = try KafkaConsumer(
            configuration: broker.consumerConfiguration(groupID: uniqueTestName("reader"), topics: topics),
            logger: logger)
        iterator = consumer.events.makeAsyncIterator()
    }

    /// Reads until `done` is true (checked after every poll) or `timeout` passes.
    /// - Returns: whether `done` became true.
    @discardableResult
    func read(timeout: Duration, until done: (TopicReader) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let events = try await iterator.nextBatch() else { return done(self) }
            for case .message(let message) in events { messages[message.topic, default: []].append(message) }
            if done(self) { return true }
        }
        return done(self)
    }

    /// Decoded JSON values of `topic`'s messages (tombstones skipped).
    func decoded<T: Decodable>(_ type: T.Type, topic: String) throws -> [T] {
        try (messages[topic] ?? []).compactMap { message in
            try message.value.map { try JSONDecoder().decode(T.self, from: Data($0)) }
        }
    }

    func count(_ topic: String) -> Int { messages[topic]?.count ?? 0 }

    func close() async {
        try? await consumer.close()
    }
}
