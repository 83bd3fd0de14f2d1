import Foundation
import JSON
public import Kafka
public import Logging
public import ServiceLifecycle
import Synchronization

/// Follows the compacted item-SID topic from its beginning into every served bundle's
/// catalogue, so an item assigned by any instance becomes decodable here within a poll.
///
/// It reads through a consumer group of its own (unique per process), so every instance sees
/// every partition and never commits: on restart it replays the topic, which is idempotent.
/// Records are also kept per bundle id, so a bundle loaded later (SIGHUP) gets the items
/// assigned before it was loaded.
public final class ItemSIDFollower: Service, Sendable {
    private let consumerConfiguration: KafkaConsumerConfiguration
    private let variants: VariantSet
    private let validator: TopicSchemaValidator
    private let schemaTopic: String
    private let metrics: ServeMetrics
    private let health: ServeHealth
    private let logger: Logger
    private let known = Mutex<[String: [String: [Int]]]>([:])

    /// Creates the follower.
    ///
    /// - Parameters:
    ///   - consumer: consumer settings; the group id is replaced by a unique one and the topic
    ///     list by `topic`, reading from the earliest offset.
    ///   - topic: the item-SID topic.
    public init(
        consumer: KafkaConsumerConfiguration, topic: String, variants: VariantSet, validator: TopicSchemaValidator,
        metrics: ServeMetrics, health: ServeHealth, instanceID: String, logger: Logger
    ) {
        var configuration = consumer
        configuration.groupID = "resid-item-sids-\(instanceID)-\(UUID().uuidString.prefix(8).lowercased())"
        configuration.topics = [topic]
        configuration.autoOffsetReset = .earliest
        consumerConfiguration = configuration
        self.variants = variants
        self.validator = validator
        schemaTopic = "resid.item-sids.v1"
        self.metrics = metrics
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        variants.onCatalogLoaded { [self] catalog in
            let entries = known.withLock { $0[catalog.bundle.id] ?? [:] }
            _ = catalog.insert(entries.map { (item: $0.key, sid: $0.value) })
        }
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        var iterator = consumer.events.makeAsyncIterator()
        var assigned = false
        // The high watermarks when the partitions were assigned: the replay is done once the
        // consumer's position reaches them (later records are news, not replay).
        var targets: [KafkaTopicPartition: Int64] = [:]
        var lastCheck = ContinuousClock.now - .seconds(1)
        let stop = Atomic<Bool>(false)
        try await withGracefulShutdownHandler {
            while !stop.load(ordering: .acquiring), let events = try await iterator.nextBatch() {
                var records: [(bundle: String, item: String, sid: [Int]?)] = []
                for event in events {
                    switch event {
                    case .partitionsAssigned: assigned = true
                    case .partitionsRevoked: break
                    case .message(let message):
                        if let record = self.decode(message) { records.append(record) }
                    }
                }
                self.apply(records)
                if assigned, !self.health.itemSIDsCaughtUp, ContinuousClock.now - lastCheck >= .milliseconds(100) {
                    lastCheck = ContinuousClock.now
                    if try await self.replayed(consumer, targets: &targets) {
                        self.health.markItemSIDsCaughtUp()
                        self.logger.info(
                            "item SIDs caught up",
                            metadata: ["serve.catalog.items": "\(self.variants.allCatalogs.map(\.count))"])
                    }
                }
            }
        } onGracefulShutdown: {
            stop.store(true, ordering: .releasing)
        }
        try? await consumer.close()
    }

    /// True once every assigned partition has been read up to its high watermark at the first
    /// check. A broker that does not answer yet means not yet.
    private func replayed(_ consumer: KafkaConsumer, targets: inout [KafkaTopicPartition: Int64]) async throws -> Bool {
        guard let progress = try? await consumer.readProgress(timeout: .seconds(2)), !progress.isEmpty else {
            return false
        }
        for (partition, state) in progress where targets[partition] == nil { targets[partition] = state.high }
        return progress.allSatisfy { partition, state in state.reached(targets[partition] ?? state.high) }
    }

    private func decode(_ message: KafkaConsumerMessage) -> (bundle: String, item: String, sid: [Int]?)? {
        guard let key = message.keyString, let slash = key.firstIndex(of: "/") else { return nil }
        let bundle = String(key[..<slash])
        let item = String(key[key.index(after: slash)...])
        guard let value = message.value else { return (bundle, item, nil) }  // tombstone: deleted
        guard case .object(let object)? = try? validator.validate(value, topic: schemaTopic),
            case .array(let codes)? = object["sid"], case .string(let recordItem)? = object["item"], recordItem == item
        else {
            logger.warning("ignoring a malformed item-SID record", metadata: ["kafka.offset": "\(message.offset)"])
            return nil
        }
        let sid = codes.compactMap { if case .integer(let code) = $0 { Int(code) } else { nil } }
        return (bundle, item, sid)
    }

    /// Applies records to every catalogue of their bundle (in order, per bundle one insert).
    func apply(_ records: [(bundle: String, item: String, sid: [Int]?)]) {
        guard !records.isEmpty else { return }
        known.withLock { known in
            for record in records {
                known[record.bundle, default: [:]][record.item] = record.sid
            }
        }
        let catalogs = variants.allCatalogs
        var byBundle: [String: [(item: String, sid: [Int])]] = [:]
        for record in records {
            if let sid = record.sid {
                byBundle[record.bundle, default: []].append((record.item, sid))
            } else {
                for catalog in catalogs where catalog.bundle.id == record.bundle { catalog.remove(record.item) }
            }
        }
        for (bundle, entries) in byBundle {
            for catalog in catalogs where catalog.bundle.id == bundle {
                let outcome = catalog.insert(entries)
                if outcome.conflicts > 0 {
                    logger.error(
                        "item-SID records conflict with the catalogue",
                        metadata: ["serve.bundle": "\(bundle)", "serve.conflicts": "\(outcome.conflicts)"])
                }
            }
        }
    }
}
