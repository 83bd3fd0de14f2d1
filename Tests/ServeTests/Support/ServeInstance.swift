import Foundation
import Kafka
import Logging
import ReSIDTestKit
import Redis
import Serve
import ServiceLifecycle

/// Unique topic names for one test, with partition counts for the broker.
struct TestTopics {
    let topics: ServeTopics
    let partitions: Int

    init(_ label: String, partitions: Int = 3) {
        var topics = ServeTopics()
        topics.items = uniqueTestName("\(label).items")
        topics.interactions = uniqueTestName("\(label).interactions")
        topics.predictions = uniqueTestName("\(label).predictions")
        topics.itemSIDs = uniqueTestName("\(label).item-sids")
        topics.deadLetter = uniqueTestName("\(label).deadletter")
        self.topics = topics
        self.partitions = partitions
    }

    var brokerTopics: [(name: String, partitions: Int)] {
        [topics.items, topics.interactions, topics.predictions, topics.itemSIDs, topics.deadLetter].map { ($0, partitions) }
    }
}

/// One daemon instance running in this process: the same services `resid serve` runs (event
/// loop, item-SID follower, HTTP), in a service group stopped by ``stop()`` (graceful).
final class ServeInstance: Sendable {
    let variants: VariantSet
    let metrics: ServeMetrics
    let health: ServeHealth
    let http: ServeHTTPService
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    let producer: RenewableProducer
    private let pool: RedisConnectionPool

    init(
        servers: IntegrationServers, topics: ServeTopics, groupID: String, namespace: String,
        variants specs: [VariantSpec]? = nil, topK: Int = 10, beamWidth: Int = 20, instanceID: String = "test",
        restoreClaims: Bool = false, redis: RedisConfiguration? = nil
    ) async throws {
        var logger = Logger(label: "resid.test.serve")
        logger.logLevel = .warning
        var configuration = ServeConfiguration(variants: specs ?? [VariantSpec(name: "control", path: TestBundle.url.path, share: 1)])
        configuration.topics = topics
        configuration.topK = topK
        configuration.beamWidth = beamWidth
        configuration.httpPort = 0
        configuration.instanceID = instanceID
        metrics = ServeMetrics()
        health = ServeHealth()
        variants = try VariantSet(variants: configuration.variants, salt: configuration.salt, beamWidth: beamWidth, logger: logger)
        let validator = try TopicSchemaValidator(topicList: EmbeddedBroker.repositoryTopicList)
        pool = RedisConnectionPool(configuration: redis ?? servers.redis.configuration(namespace: namespace), logger: logger)
        producer = try RenewableProducer(configuration: servers.broker.producerConfiguration(), logger: logger)
        let consumer = servers.broker.consumerConfiguration(groupID: groupID, topics: [])
        http = ServeHTTPService(host: "127.0.0.1", port: 0, metrics: metrics, health: health, variants: variants)
        let follower = ItemSIDFollower(
            consumer: consumer, topic: topics.itemSIDs, variants: variants, validator: validator, metrics: metrics,
            health: health, instanceID: instanceID, logger: logger)
        let daemon = ServeDaemon(
            configuration: configuration, consumer: consumer, producer: producer, pool: pool, validator: validator,
            variants: variants, metrics: metrics, health: health, restoreClaims: restoreClaims, logger: logger)
        let probe = DependencyProbe(producer: producer, pool: pool, topics: topics, health: health, logger: logger)
        group = ServiceGroup(services: [http, probe, follower, daemon], logger: logger)
        let group = group
        task = Task { try await group.run() }
    }

    /// Waits until the instance reports ready (consumer running, item SIDs caught up).
    func waitReady(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !health.isReady {
            guard ContinuousClock.now < deadline else { throw TestFailure("instance not ready within \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Graceful shutdown: drains the batch in progress, commits, leaves the group.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        let result = await task.result
        try? await producer.shutdown(timeout: .seconds(5))
        await pool.close()
        try result.get()
    }
}

/// A test precondition that did not hold.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Produces messages and waits for every acknowledgement.
func produce(_ messages: [KafkaProducerMessage], broker: EmbeddedBroker) async throws {
    var logger = Logger(label: "resid.test.producer")
    logger.logLevel = .warning
    let producer = try KafkaProducer(configuration: broker.producerConfiguration(), logger: logger)
    let reports = try await producer.send(batch: messages)
    try await producer.shutdown(timeout: .seconds(5))
    if let failed = reports.first(where: { !$0.isDelivered }) { throw TestFailure("produce failed: \(String(describing: failed.error))") }
}
