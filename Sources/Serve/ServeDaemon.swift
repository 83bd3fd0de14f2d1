import Kafka
import Logging
import Redis
import ServiceLifecycle
import Synchronization

/// The event loop of `resid serve`: one consumer-group member reading item and interaction
/// events, processing each poll as one batch, and committing its offsets only after every output
/// it caused (item SIDs, predictions, dead letters) is acknowledged by Kafka.
///
/// Delivery semantics: at least once. A crash before the commit replays the batch: prefix
/// updates are idempotent per (partition, offset), SID claims per item, and each prediction
/// carries its source event id and position, so consumers drop repeats. A malformed event goes to
/// the dead-letter topic and its offset is committed like any other, so a partition never stalls.
///
/// Graceful shutdown (SIGTERM/SIGINT through the service group): the batch in progress finishes,
/// is delivered and committed, then the consumer leaves its group and the producer is flushed.
public final class ServeDaemon: Service, Sendable {
    private let configuration: ServeConfiguration
    private let consumerConfiguration: KafkaConsumerConfiguration
    private let producer: KafkaProducer
    private let decoder: EventDecoder
    private let variants: VariantSet
    private let itemPath: ItemPath
    private let interactionPath: InteractionPath
    private let metrics: ServeMetrics
    private let health: ServeHealth
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)

    /// Creates the daemon; nothing connects until ``run()``.
    ///
    /// - Parameters:
    ///   - consumer: consumer settings (group id, timeouts); topics are set to the item and
    ///     interaction topics.
    ///   - producer: the producer for every output.
    ///   - pool: Redis connections (prefixes and SID claims).
    public init(
        configuration: ServeConfiguration, consumer: KafkaConsumerConfiguration, producer: KafkaProducer,
        pool: RedisConnectionPool, validator: KafkaMessageValidator, variants: VariantSet, metrics: ServeMetrics,
        health: ServeHealth, logger: Logger
    ) {
        self.configuration = configuration
        var consumer = consumer
        consumer.topics = [configuration.topics.items, configuration.topics.interactions]
        consumerConfiguration = consumer
        self.producer = producer
        decoder = EventDecoder(validator: validator, topics: configuration.topics)
        self.variants = variants
        let keys = RedisKeys(namespace: pool.configuration.namespace)
        itemPath = ItemPath(pool: pool, keys: keys, topics: configuration.topics, logger: logger)
        interactionPath = InteractionPath(pool: pool, keys: keys, configuration: configuration, metrics: metrics, logger: logger)
        self.metrics = metrics
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        health.setConsuming(true)
        defer { health.setConsuming(false) }
        var iterator = consumer.events.makeAsyncIterator()
        do {
            try await withGracefulShutdownHandler {
                while !stopRequested.load(ordering: .acquiring) {
                    guard let events = try await iterator.nextBatch() else { break }
                    try await process(events, consumer: consumer)
                    updateLag(consumer)
                }
            } onGracefulShutdown: {
                self.stopRequested.store(true, ordering: .releasing)
            }
        } catch {
            health.markFailed("\(error)")
            logger.error("event loop failed", metadata: ["error": "\(error)"])
            try? await consumer.close()
            throw error
        }
        logger.info("draining: leaving the consumer group and flushing the producer")
        try? await consumer.close()
        try? await producer.flush(timeout: .seconds(10))
    }

    /// Asks the loop to stop after the batch in progress (what SIGTERM does through the group).
    public func requestStop() {
        stopRequested.store(true, ordering: .releasing)
    }

    private func process(_ events: [KafkaConsumerEvent], consumer: KafkaConsumer) async throws {
        let polledAt = ContinuousClock.now
        var messages: [KafkaConsumerMessage] = []
        messages.reserveCapacity(events.count)
        for event in events {
            switch event {
            case .message(let message): messages.append(message)
            case .partitionsRevoked(let partitions):
                // Not committed yet, and no longer ours: the new owner re-reads them.
                health.revoke(partitions)
                let revoked = Set(partitions)
                messages.removeAll { revoked.contains($0.topicPartition) }
                logger.info("partitions revoked", metadata: ["kafka.partitions": "\(partitions.sorted())"])
            case .partitionsAssigned(let partitions):
                health.assign(partitions)
                logger.info("partitions assigned", metadata: ["kafka.partitions": "\(partitions.sorted())"])
            }
        }
        guard !messages.isEmpty else { return }
        let current = variants.snapshot()
        let topics = configuration.topics

        var rejected: [(KafkaConsumerMessage, EventRejection)] = []
        var items: [(message: KafkaConsumerMessage, event: ItemEvent)] = []
        var interactions: [(message: KafkaConsumerMessage, event: InteractionEvent)] = []
        for message in messages {
            do throws(EventRejection) {
                if message.topic == topics.items {
                    items.append((message, try decoder.item(value: message.value, key: message.keyString)))
                } else if message.topic == topics.interactions {
                    interactions.append((message, try decoder.interaction(value: message.value, key: message.keyString)))
                }
            } catch {
                rejected.append((message, error))
            }
        }

        // Items first: an item and an interaction with it in one poll find the item known.
        let itemOutcome = try await itemPath.process(items, catalogs: current.catalogs)
        let interactionOutcome = try await interactionPath.process(interactions, variants: current, polledAt: polledAt)
        rejected += itemOutcome.deadLetters + interactionOutcome.deadLetters

        var outputs = itemOutcome.messages
        var deadLetterOffsets: Set<KafkaConsumerMessageID> = []
        var deadByTopic: [String: UInt64] = [:]
        let failedAt = nowMilliseconds()
        for (message, rejection) in rejected where deadLetterOffsets.insert(KafkaConsumerMessageID(message)).inserted {
            deadByTopic[message.topic, default: 0] += 1
            let record = DeadLetterRecord(
                topic: message.topic, partition: message.partition, offset: message.offset, key: message.key,
                rejection: rejection, original: message.value ?? [], failedAtMilliseconds: failedAt)
            outputs.append(KafkaProducerMessage(topic: topics.deadLetter, key: message.key, value: record.encoded()))
        }
        outputs += interactionOutcome.predictions.map(\.message)
        try await deliver(outputs)
        let delivered = ContinuousClock.now

        do {
            try await consumer.commit(messages)
        } catch {
            // A rebalance took a partition between poll and commit: its new owner replays the
            // events (idempotently); ours are done.
            metrics.update { $0.commitFailures += 1 }
            logger.warning("offset commit failed", metadata: ["error": "\(error)"])
        }

        let batchSeconds = InteractionPath.seconds(ContinuousClock.now - polledAt)
        metrics.update { values in
            for (topic, count) in deadByTopic {
                values.deadLetters[topic, default: 0] += count
                values.events[ServeMetrics.Pair(topic, "dead_letter"), default: 0] += count
            }
            var processed: [String: UInt64] = [:]
            for message in messages { processed[message.topic, default: 0] += 1 }
            for (topic, count) in processed {
                values.events[ServeMetrics.Pair(topic, "processed"), default: 0] += count - (deadByTopic[topic] ?? 0)
            }
            for prediction in interactionOutcome.predictions {
                values.predictions[prediction.variant, default: 0] += 1
                values.predictionLatency[prediction.variant, default: LatencyHistogram()]
                    .observe(InteractionPath.seconds(delivered - prediction.polledAt))
            }
            values.prefixReplays += UInt64(interactionOutcome.replays)
            for (bundle, count) in itemOutcome.newSIDs { values.newSIDs[bundle, default: 0] += UInt64(count) }
            for (bundle, count) in itemOutcome.overflowSIDs { values.overflowSIDs[bundle, default: 0] += UInt64(count) }
            for (bundle, count) in itemOutcome.spilledSIDs { values.spilledSIDs[bundle, default: 0] += UInt64(count) }
            for (column, count) in itemOutcome.unknownFieldItems { values.unknownFieldItems[column, default: 0] += UInt64(count) }
            for catalog in current.catalogs {
                let bundle = catalog.bundle
                let slots = Double(bundle.codeSizes.reduce(1, *))
                values.level3CapacityUsed[bundle.id] = slots > 0 ? Double(catalog.count) / slots : 0
                values.catalogItems[bundle.id] = UInt64(catalog.count)
                values.undecodableItems[bundle.id] = UInt64(catalog.undecodableCount)
            }
            values.batchLatency.observe(batchSeconds)
        }
    }

    /// Produces `outputs` and waits for every acknowledgement, re-sending failed ones with
    /// back-off. Returns only when all are delivered; throws when the task is cancelled first
    /// (the batch is then not committed and will be replayed).
    private func deliver(_ outputs: [KafkaProducerMessage]) async throws {
        var pending = outputs
        var delay = Duration.milliseconds(50)
        while !pending.isEmpty {
            let reports = try await producer.send(batch: pending)
            let failed = zip(pending, reports).filter { !$0.1.isDelivered }
            guard !failed.isEmpty else { return }
            metrics.update { $0.deliveryRetries += UInt64(failed.count) }
            logger.warning(
                "re-sending undelivered outputs",
                metadata: ["serve.failed": "\(failed.count)", "error": "\(failed[0].1.error.map { "\($0)" } ?? "")"])
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
            pending = failed.map(\.0)
        }
    }

    private func updateLag(_ consumer: KafkaConsumer) {
        guard let lag = try? consumer.lag() else { return }
        var byTopic: [String: Int64] = [:]
        for (partition, behind) in lag { byTopic[partition.topic, default: 0] += behind }
        metrics.update { $0.consumerLag = byTopic }
    }
}

/// A consumed message's identity (topic, partition, offset).
struct KafkaConsumerMessageID: Hashable {
    var topic: String
    var partition: Int32
    var offset: Int64

    init(_ message: KafkaConsumerMessage) {
        topic = message.topic
        partition = message.partition
        offset = message.offset
    }
}
