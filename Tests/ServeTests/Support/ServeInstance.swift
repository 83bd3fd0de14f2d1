import Foundation
import Kafka
import LocalServers
import Logging
import ReSIDTestKit
import Serve

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
        [topics.items, topics.interactions, topics.predictions, topics.itemSIDs, topics.deadLetter].map {
            ($0, partitions)
        }
    }
}

/// One daemon instance running in this process: the ``ServeApplication`` `resid serve` runs,
/// loaded from a configuration file of its own the way the binary loads it (no `RESID_*`
/// variable of the test environment), stopped by ``stop()`` (graceful).
final class ServeInstance: Sendable {
    let application: ServeApplication
    private let directory: URL
    private let task: Task<Void, any Error>

    var variants: VariantSet { application.variants }
    var metrics: ServeMetrics { application.metrics }
    var health: ServeHealth { application.health }
    var http: ServeHTTPService { application.http }
    var producer: RenewableProducer { application.producer }

    init(
        servers: IntegrationServers, topics: ServeTopics, groupID: String, namespace: String,
        variants specs: [String]? = nil, topK: Int = 10, beamWidth: Int = 20, instanceID: String = "test",
        restoreClaims: Bool = false
    ) async throws {
        var logger = Logger(label: "resid.test.serve")
        logger.logLevel = .warning
        var file = ServeConfigurationFile(
            servers: servers, topics: topics, groupID: groupID, namespace: namespace,
            variants: specs ?? ["control:1:\(TestBundle.url.path)"], instanceID: instanceID)
        file.lingerMilliseconds = 1
        file.serveSettings = [("topK", "\(topK)"), ("beamWidth", "\(beamWidth)")]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "resid-instance-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configFile = directory.appendingPathComponent("resid.yaml")
        try Data(file.yaml.utf8).write(to: configFile)
        let load: ServeApplication.Reload = {
            try await ConfigurationLoader().load(explicitPath: configFile.path, environment: [:])
        }
        var options = ServeOptions()
        options.restoreClaims = restoreClaims
        options.shutdownSignals = []
        do {
            application = try await ServeApplication(
                configuration: try await load(), options: options, logger: logger, reload: load)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let application = application
        task = Task { try await application.run() }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
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
        await application.shutdown()
        try await task.value
    }
}

extension ServeConfigurationFile {
    /// A daemon's configuration against the test servers, with the repository's topic list.
    init(
        servers: IntegrationServers, topics: ServeTopics, groupID: String, namespace: String, variants: [String],
        instanceID: String
    ) {
        self.init(
            bootstrap: servers.broker.bootstrapServers.map(\.description).joined(separator: ","),
            redisURL: servers.redis.url,
            namespace: namespace, groupID: groupID, variants: variants,
            topicList: EmbeddedBroker.repositoryTopicList.path,
            instanceID: instanceID)
        self.topics = topics
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
    if let failed = reports.first(where: { !$0.isDelivered }) {
        throw TestFailure("produce failed: \(String(describing: failed.error))")
    }
}
