import CRdKafka
public import Logging
import Synchronization

/// A consumer-group member: reads the subscribed topics from the partitions the group assigns
/// it, and commits only the offsets the caller says are done.
///
/// Read with ``events`` (messages and rebalances) or ``messages`` (messages only). Both are
/// pull-based: each `next()` takes at most ``KafkaConsumerConfiguration/pollBatchSize`` messages
/// from librdkafka when its buffer is empty, so a slow reader slows fetching (librdkafka's own
/// prefetch queue is bounded by `queued.max.messages.kbytes`). A poll never blocks a thread: it
/// drains the consumer queue without waiting and, when the queue is empty, the task waits for
/// librdkafka's queue event (``ConsumerQueueWakeup``) or ``KafkaConsumerConfiguration/pollTimeout``.
/// Closing and synchronous commits, which block, run on dedicated dispatch queues, never on the
/// cooperative pool.
///
/// - Important: call ``close()`` when done: it leaves the group at once, so the other members
///   take over its partitions without waiting for the session timeout.
public final class KafkaConsumer: Sendable {
    private enum State {
        case running
        case closed
    }

    let client: RDKafkaClient
    private let configuration: KafkaConsumerConfiguration
    /// The consumer queue (`rd_kafka_queue_get_consumer`), where fetched messages, rebalances and
    /// errors arrive, and its wake-up. `nonisolated(unsafe)`: set once, destroyed once in `deinit`;
    /// librdkafka's queue calls are thread-safe.
    nonisolated(unsafe) private let queue: OpaquePointer
    private let wakeup = ConsumerQueueWakeup()
    /// Where ``close()`` runs (it blocks until the group is left).
    private let closer: BlockingExecutor
    let committer: BlockingExecutor
    private let state = Mutex(State.running)
    private let logger: Logger

    /// Creates the consumer and subscribes to ``KafkaConsumerConfiguration/topics``.
    ///
    /// - Parameters:
    ///   - configuration: group, topics and client settings.
    ///   - logger: receives this consumer's and librdkafka's log lines.
    /// - Throws: ``KafkaError`` `.invalidConfiguration` naming the bad key, or `.broker` if
    ///   the subscription is refused.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        var logger = logger
        logger[metadataKey: KafkaLogKey.groupID] = "\(configuration.groupID)"
        logger[metadataKey: KafkaLogKey.clientID] = "\(configuration.clientID)"
        self.logger = logger
        self.configuration = configuration
        client = try RDKafkaClient(
            kind: .consumer, settings: configuration.settings(), context: RDKafkaCallbackContext(logger: logger))
        closer = BlockingExecutor(label: "resid.kafka.consumer.close")
        committer = BlockingExecutor(label: "resid.kafka.consumer.commit")
        // Serve callbacks (rebalance, errors) from the consumer poll itself.
        rd_kafka_poll_set_consumer(client.handle)
        guard let queue = rd_kafka_queue_get_consumer(client.handle) else {
            throw KafkaError(code: .clientCreation, message: "librdkafka has no consumer queue for this client")
        }
        self.queue = queue
        wakeup.enable(on: queue)

        let topics = RDKafkaTopicPartitionList(capacity: configuration.topics.count)
        for topic in configuration.topics {
            topics.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA))
        }
        let err = rd_kafka_subscribe(client.handle, topics.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.rdKafka(err, context: "subscribe to \(configuration.topics)")
        }
    }

    deinit {
        // Last resort: a consumer dropped without close() still leaves its group cleanly.
        // No poll can be in flight (each holds a reference), and deinit may itself run on the
        // close queue, so close directly rather than through the queue.
        if state.withLock({ $0 }) == .running {
            _ = rd_kafka_consumer_close(client.handle)
        }
        wakeup.disable(on: queue)
        rd_kafka_queue_destroy(queue)
    }

    /// Messages and rebalance events in the order they happened.
    public var events: KafkaConsumerEvents { KafkaConsumerEvents(consumer: self) }

    /// Messages only (rebalances are logged but not yielded).
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(events: events) }

    /// Takes up to one batch of events, waiting at most ``KafkaConsumerConfiguration/pollTimeout``
    /// for the first (an empty batch when none came); `nil` once the consumer is closed.
    func pollBatch() async throws -> [KafkaConsumerEvent]? {
        guard let events = try drain() else { return nil }
        if !events.isEmpty { return events }
        await wakeup.wait(timeout: configuration.pollTimeout)
        return try drain()
    }

    /// Takes what librdkafka has queued, up to ``KafkaConsumerConfiguration/pollBatchSize``
    /// messages, without waiting; `nil` once the consumer is closed. Holds the state lock, so
    /// ``close()`` never runs beside it.
    private func drain() throws -> [KafkaConsumerEvent]? {
        try state.withLock { state -> [KafkaConsumerEvent]? in
            guard state == .running else { return nil }
            return try drainRunning()
        }
    }

    private func drainRunning() throws -> [KafkaConsumerEvent] {
        if let fatal = client.fatalError() { throw fatal }
        var events: [KafkaConsumerEvent] = []
        var messageCount = 0
        while messageCount < configuration.pollBatchSize {
            let polled = rd_kafka_consumer_poll(client.handle, 0)
            // Rebalances happen inside the poll, before the message it returns.
            events.append(
                contentsOf: client.context.rebalanceEvents.withLock { pending in
                    defer { pending.removeAll() }
                    return pending
                })
            guard let polled else { break }
            defer { rd_kafka_message_destroy(polled) }
            let message = polled.pointee
            if message.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                let error = KafkaError.rdKafka(message.err, context: "consumer")
                if error.isFatal { throw client.fatalError() ?? error }
                logger.warning("consumer error: \(error)")
                continue
            }
            events.append(.message(Self.copy(polled)))
            messageCount += 1
        }
        return events
    }

    private static func copy(_ pointer: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerMessage {
        let message = pointer.pointee
        func bytes(_ base: UnsafeMutableRawPointer?, _ count: Int) -> [UInt8]? {
            guard let base else { return nil }
            return Array(UnsafeRawBufferPointer(start: base, count: count))
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(pointer, &timestampType)
        return KafkaConsumerMessage(
            topic: message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "",
            partition: message.partition,
            offset: message.offset,
            key: bytes(message.key, message.key_len),
            value: bytes(message.payload, message.len),
            timestampMilliseconds: timestamp >= 0 ? timestamp : nil)
    }

    /// Marks `message` as processed: its offset + 1 is committed by the next
    /// ``commitStoredOffsets()``. Non-blocking.
    ///
    /// - Throws: ``KafkaError`` if the partition is no longer assigned to this consumer.
    public func storeOffset(for message: KafkaConsumerMessage) throws {
        let list = RDKafkaTopicPartitionList(offsets: [message.topicPartition: message.offset + 1])
        let err = rd_kafka_offsets_store(client.handle, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.rdKafka(
                err, code: .commitFailed, context: "store offset of \(message.topicPartition)@\(message.offset)")
        }
    }

    /// Synchronously commits the offsets stored with ``storeOffset(for:)``.
    ///
    /// - Throws: ``KafkaError`` `.commitFailed` (retriable during a rebalance).
    public func commitStoredOffsets() async throws {
        try await committer.run { [client] in
            let err = rd_kafka_commit(client.handle, nil, 0)
            // Nothing stored since the last commit is not a failure.
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET else {
                throw KafkaError.rdKafka(err, code: .commitFailed, context: "commit stored offsets")
            }
        }
    }

    /// Synchronously commits `messages` as done: per partition, the highest offset + 1.
    ///
    /// - Throws: ``KafkaError`` `.commitFailed`, for example after the partition was revoked.
    public func commit(_ messages: some Sequence<KafkaConsumerMessage>) async throws {
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            offsets[message.topicPartition] = max(offsets[message.topicPartition] ?? 0, message.offset + 1)
        }
        try await commit(offsets: offsets)
    }

    /// Synchronously commits explicit offsets (the *next* offset to read, per partition).
    ///
    /// - Throws: ``KafkaError`` `.commitFailed`.
    public func commit(offsets: [KafkaTopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        try await committer.run { [client] in
            let list = RDKafkaTopicPartitionList(offsets: offsets)
            let err = rd_kafka_commit(client.handle, list.pointer, 0)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.rdKafka(err, code: .commitFailed, context: "commit \(offsets.keys.sorted())")
            }
        }
    }

    /// The group's committed offsets (next offset to read) for `partitions`; partitions without
    /// a commit are left out.
    ///
    /// - Throws: ``KafkaError`` `.timedOut` if the coordinator does not answer in time.
    public func committedOffsets(
        for partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)
    ) async throws -> [KafkaTopicPartition: Int64] {
        try await committer.run { [client] in
            let list = RDKafkaTopicPartitionList(capacity: partitions.count)
            for partition in partitions { list.add(partition) }
            let err = rd_kafka_committed(client.handle, list.pointer, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.rdKafka(err, context: "fetch committed offsets")
            }
            var result: [KafkaTopicPartition: Int64] = [:]
            for entry in RDKafkaTopicPartitionList.entries(of: list.pointer) where entry.offset >= 0 {
                result[entry.topicPartition] = entry.offset
            }
            return result
        }
    }

    /// The partitions currently assigned to this consumer.
    ///
    /// - Throws: ``KafkaError`` if librdkafka cannot report the assignment.
    public func assignment() throws -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let err = rd_kafka_assignment(client.handle, &list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
            throw KafkaError.rdKafka(err, context: "read assignment")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return RDKafkaTopicPartitionList.topicPartitions(of: list).sorted()
    }

    /// Per assigned partition, how many messages lie between this consumer's position and the
    /// partition's high watermark, from librdkafka's cached fetch state (no broker round trip).
    /// Partitions without a known position or watermark are left out.
    ///
    /// - Throws: ``KafkaError`` if librdkafka cannot report the assignment.
    public func lag() throws -> [KafkaTopicPartition: Int64] {
        let partitions = try assignment()
        guard !partitions.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(partition) }
        guard rd_kafka_position(client.handle, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var result: [KafkaTopicPartition: Int64] = [:]
        for entry in RDKafkaTopicPartitionList.entries(of: list.pointer) where entry.offset >= 0 {
            var low: Int64 = -1
            var high: Int64 = -1
            let err = entry.topicPartition.topic.withCString {
                rd_kafka_get_watermark_offsets(client.handle, $0, entry.topicPartition.partition, &low, &high)
            }
            if err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 {
                result[entry.topicPartition] = max(high - entry.offset, 0)
            }
        }
        return result
    }

    /// Leaves the group (revoking this member's partitions) and stops the event sequences.
    /// Commit what is done before calling this. Idempotent.
    ///
    /// - Throws: ``KafkaError`` if librdkafka reports an error while leaving.
    public func close() async throws {
        try await closer.run { [self] in
            // Under the state lock no drain is in flight, and none starts after this.
            let wasRunning = state.withLock { state in
                defer { state = .closed }
                return state == .running
            }
            guard wasRunning else { return }
            let err = rd_kafka_consumer_close(client.handle)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.rdKafka(err, context: "close consumer")
            }
            logger.debug("consumer closed")
        }
    }
}
