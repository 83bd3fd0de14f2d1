public import Kafka
public import Logging
public import Redis
public import ServiceLifecycle
import ServingState
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
    private let producer: RenewableProducer
    private let admission: EventAdmission
    private let decoder: EventDecoder
    private let variants: VariantSet
    private let itemPath: ItemPath
    private let interactionPath: InteractionPath
    private let metrics: ServeMetrics
    private let health: ServeHealth
    private let claimCheck: ClaimStoreCheck
    private let restoreClaims: Bool
    private let logger: Logger
    private let stopRequested = StopFlag()

    /// Creates the daemon; nothing connects until ``run()``.
    ///
    /// - Parameters:
    ///   - consumer: consumer settings (group id, timeouts); topics are set to the item and
    ///     interaction topics.
    ///   - producer: the producer for every output.
    ///   - pool: Redis connections (prefixes and SID claims).
    ///   - restoreClaims: rewrite SID claims that Redis lost from the replayed item-SID topic
    ///     instead of refusing to start (see ``ClaimStoreCheck``).
    public init(
        configuration: ServeConfiguration, consumer: KafkaConsumerConfiguration, producer: RenewableProducer,
        pool: RedisConnectionPool, validator: TopicSchemaValidator, variants: VariantSet, metrics: ServeMetrics,
        health: ServeHealth, restoreClaims: Bool = false, logger: Logger
    ) {
        self.configuration = configuration
        var consumer = consumer
        consumer.topics = [configuration.topics.items, configuration.topics.interactions]
        consumerConfiguration = consumer
        self.producer = producer
        admission = EventAdmission(maxEventBytes: configuration.maxEventBytes)
        decoder = EventDecoder(validator: validator, topics: configuration.topics)
        self.variants = variants
        let keys = RedisKeys(namespace: pool.configuration.namespace)
        let stop = stopRequested
        let redis = RedisOutageGate(
            pool: pool, health: health, metrics: metrics, logger: logger, stopRequested: { stop.isSet })
        claimCheck = ClaimStoreCheck(pool: pool, keys: keys, logger: logger)
        self.restoreClaims = restoreClaims
        itemPath = ItemPath(
            redis: redis, claimCheck: claimCheck, keys: keys, topics: configuration.topics, logger: logger)
        interactionPath = InteractionPath(
            redis: redis, keys: keys, configuration: configuration, metrics: metrics, logger: logger)
        self.metrics = metrics
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        // New items are placed against the catalogue that the item-SID topic builds, and the
        // claim store is checked against it: consume only once the topic has been replayed.
        do {
            try await withGracefulShutdownHandler {
                try await self.waitForItemSIDs()
            } onGracefulShutdown: {
                self.stopRequested.set()
            }
        } catch is CancellationError where stopRequested.isSet {
            return
        }
        if stopRequested.isSet { return }
        do {
            try await claimCheck.verify(variants.allCatalogs, restore: restoreClaims)
        } catch {
            health.markFailed("\(error)")
            logger.error("refusing to start", metadata: ["error": "\(error)"])
            throw error
        }

        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        health.setConsuming(true)
        defer { health.setConsuming(false) }
        var iterator = consumer.events.makeAsyncIterator()
        do {
            try await withGracefulShutdownHandler {
                while !stopRequested.isSet {
                    guard let events = try await iterator.nextBatch() else { break }
                    try await process(events, consumer: consumer)
                    updateLag(consumer)
                }
            } onGracefulShutdown: {
                self.stopRequested.set()
            }
        } catch is CancellationError where stopRequested.isSet {
            // Stopped while waiting out an outage: the batch is not committed; its partitions'
            // next owner replays it.
            logger.info("stopped during an outage; the batch in progress will be replayed")
        } catch {
            health.markFailed("\(error)")
            logger.error("event loop failed", metadata: ["error": "\(error)"])
            try? await consumer.close()
            throw error
        }
        logger.info("draining: leaving the consumer group and flushing the producer")
        try? await consumer.close()
        try? await producer.current.flush(timeout: .seconds(10))
    }

    private func waitForItemSIDs() async throws {
        while !health.itemSIDsCaughtUp, !stopRequested.isSet {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Asks the loop to stop after the batch in progress (what SIGTERM does through the group).
    public func requestStop() {
        stopRequested.set()
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
                await holdRestartedPartitions(partitions, consumer: consumer)
            }
        }
        let held = health.heldPartitions
        if !held.isEmpty { messages.removeAll { held.contains($0.topicPartition) } }
        guard !messages.isEmpty else { return }
        let current = variants.snapshot()
        let topics = configuration.topics

        var rejected: [(KafkaConsumerMessage, EventRejection)] = []
        var items: [(message: KafkaConsumerMessage, event: ItemEvent)] = []
        var interactions: [(message: KafkaConsumerMessage, event: InteractionEvent)] = []
        for message in messages {
            do throws(EventRejection) {
                let key = try admission.admit(message)
                if message.topic == topics.items {
                    items.append((message, try decoder.item(value: message.value, key: key)))
                } else if message.topic == topics.interactions {
                    interactions.append((message, try decoder.interaction(value: message.value, key: key)))
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
        var deadByTopic: [String: Int] = [:]
        var oversized = 0
        let failedAt = nowMilliseconds()
        for (message, rejection) in rejected where deadLetterOffsets.insert(KafkaConsumerMessageID(message)).inserted {
            deadByTopic[message.topic, default: 0] += 1
            let record = DeadLetterRecord(
                topic: message.topic, partition: message.partition, offset: message.offset, key: message.key,
                rejection: rejection, original: message.value ?? [], failedAtMilliseconds: failedAt)
            if rejection.isOversized { oversized += 1 }
            outputs.append(KafkaProducerMessage(topic: topics.deadLetter, key: record.key, value: record.encoded()))
        }
        outputs += interactionOutcome.predictions.map(\.message)
        try await deliver(outputs)
        let delivered = ContinuousClock.now

        do {
            try await consumer.commit(messages)
        } catch {
            // A rebalance took a partition between poll and commit: its new owner replays the
            // events (idempotently); ours are done.
            metrics.count(.commitFailures)
            logger.warning("offset commit failed", metadata: ["error": "\(error)"])
        }

        for (topic, count) in deadByTopic {
            metrics.count(.deadLetters, by: count, topic)
            metrics.count(.events, by: count, topic, "dead_letter")
        }
        var processed: [String: Int] = [:]
        for message in messages { processed[message.topic, default: 0] += 1 }
        for (topic, count) in processed {
            metrics.count(.events, by: count - (deadByTopic[topic] ?? 0), topic, "processed")
        }
        for prediction in interactionOutcome.predictions {
            metrics.count(.predictions, prediction.variant)
            metrics.record(.predictionLatency, delivered - prediction.polledAt, prediction.variant)
        }
        metrics.count(.prefixReplays, by: interactionOutcome.replays)
        metrics.count(.duplicateEvents, by: interactionOutcome.duplicates)
        metrics.count(.oversizedEvents, by: oversized)
        for (bundle, count) in itemOutcome.newSIDs { metrics.count(.newSIDs, by: count, bundle) }
        for (bundle, count) in itemOutcome.overflowSIDs { metrics.count(.overflowSIDs, by: count, bundle) }
        for (bundle, count) in itemOutcome.spilledSIDs { metrics.count(.spilledSIDs, by: count, bundle) }
        for (column, count) in itemOutcome.unknownFieldItems { metrics.count(.unknownFieldItems, by: count, column) }
        for catalog in current.catalogs {
            let bundle = catalog.bundle
            let slots = Double(bundle.codeSizes.reduce(1, *))
            metrics.set(.level3CapacityUsed, to: slots > 0 ? Double(catalog.count) / slots : 0, bundle.id)
            metrics.set(.catalogItems, to: Double(catalog.count), bundle.id)
            metrics.set(.undecodableItems, to: Double(catalog.undecodableCount), bundle.id)
        }
        metrics.record(.batch, ContinuousClock.now - polledAt)
    }

    /// Produces `outputs` and waits for every acknowledgement, re-sending failed ones with
    /// back-off, and replacing the producer when its idempotence state is lost (see
    /// ``RenewableProducer``). Returns only when all are delivered; throws when the task is
    /// cancelled first (the batch is then not committed and will be replayed).
    private func deliver(_ outputs: [KafkaProducerMessage]) async throws {
        var pending = outputs
        var delay = Duration.milliseconds(50)
        while !pending.isEmpty {
            let reports: [KafkaDeliveryReport]
            do {
                reports = try await producer.current.send(batch: pending)
            } catch let error as KafkaError where RenewableProducer.needsNewProducer(error) {
                try await renewProducer(because: error)
                continue
            }
            let failed = zip(pending, reports).filter { !$0.1.isDelivered }
            guard !failed.isEmpty else { return }
            metrics.count(.deliveryRetries, by: failed.count)
            logger.warning(
                "re-sending undelivered outputs",
                metadata: ["serve.failed": "\(failed.count)", "error": "\(failed[0].1.error.map { "\($0)" } ?? "")"])
            if let error = failed.lazy.compactMap(\.1.error).first(where: RenewableProducer.needsNewProducer) {
                try await renewProducer(because: error)
            }
            guard !stopRequested.isSet else { throw CancellationError() }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
            pending = failed.map(\.0)
        }
    }

    /// Holds partitions whose log ends below the group's committed offset: the topic was
    /// re-created (or truncated), so its offsets restarted below the watermarks that users'
    /// prefixes keep, and every event would be skipped as already applied. Held partitions are
    /// neither processed nor committed; the instance says why it is not ready.
    private func holdRestartedPartitions(_ partitions: [KafkaTopicPartition], consumer: KafkaConsumer) async {
        guard let committed = try? await consumer.committedOffsets(for: partitions, timeout: .seconds(5)),
            !committed.isEmpty,
            let progress = try? await consumer.readProgress(timeout: .seconds(5))
        else { return }
        let restarted = partitions.filter { partition in
            guard let offset = committed[partition], let high = progress[partition]?.high else { return false }
            return offset > high
        }
        guard !restarted.isEmpty else { return }
        health.hold(restarted)
        metrics.count(.topicResets, by: restarted.count)
        for partition in restarted {
            logger.error(
                """
                partition re-created or truncated: the group's committed offset is past the log's end; holding it (nothing \
                processed or committed). Reset the group's offsets for it and clear the namespace's prefixes (or use a new \
                namespace), then restart
                """,
                metadata: [
                    "kafka.partition": "\(partition.topic)/\(partition.partition)",
                    "kafka.committed": "\(committed[partition] ?? -1)",
                    "kafka.high_watermark": "\(progress[partition]?.high ?? -1)",
                ])
        }
    }

    private func renewProducer(because error: KafkaError) async throws {
        try await producer.renew(because: error)
        metrics.count(.producerRenewals)
    }

    private func updateLag(_ consumer: KafkaConsumer) {
        guard let lag = try? consumer.lag() else { return }
        var byTopic: [String: Int64] = [:]
        for (partition, behind) in lag { byTopic[partition.topic, default: 0] += behind }
        // Every consumed topic, so a topic whose partitions moved to another instance reads 0.
        for topic in consumerConfiguration.topics { metrics.set(.consumerLag, to: Double(byTopic[topic] ?? 0), topic) }
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
