/// A consumer's messages and rebalance events, pulled from librdkafka on demand.
///
/// Iteration ends (returns `nil`) when the consumer is closed or the iterating task is
/// cancelled; it throws on fatal client errors. Iterate from one task at a time.
public struct KafkaConsumerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerEvent

    let consumer: KafkaConsumer

    public func makeAsyncIterator() -> Iterator {
        Iterator(consumer: consumer)
    }

    /// Serves a bounded batch, polling for the next one only when it is used up.
    public struct Iterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        private var buffer: [KafkaConsumerEvent] = []
        private var index = 0

        init(consumer: KafkaConsumer) {
            self.consumer = consumer
        }

        public mutating func next() async throws -> KafkaConsumerEvent? {
            while index == buffer.count {
                if Task.isCancelled { return nil }
                guard let batch = try await consumer.pollBatch() else { return nil }
                buffer = batch
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }

        /// The rest of the current batch, or the next polled batch (possibly empty when the poll
        /// timed out): for callers that process one poll's events together (micro-batching).
        /// `nil` once the consumer is closed or the task is cancelled.
        public mutating func nextBatch() async throws -> [KafkaConsumerEvent]? {
            if index < buffer.count {
                defer { (buffer, index) = ([], 0) }
                return Array(buffer[index...])
            }
            if Task.isCancelled { return nil }
            guard let batch = try await consumer.pollBatch() else { return nil }
            (buffer, index) = ([], 0)
            return batch
        }
    }
}

/// A consumer's messages without the rebalance events (see ``KafkaConsumerEvents``).
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage

    let events: KafkaConsumerEvents

    public func makeAsyncIterator() -> Iterator {
        Iterator(events: events.makeAsyncIterator())
    }

    /// Skips rebalance events.
    public struct Iterator: AsyncIteratorProtocol {
        var events: KafkaConsumerEvents.Iterator

        public mutating func next() async throws -> KafkaConsumerMessage? {
            while let event = try await events.next() {
                if case .message(let message) = event { return message }
            }
            return nil
        }
    }
}
