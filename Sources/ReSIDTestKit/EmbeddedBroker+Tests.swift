public import Foundation
public import Kafka
public import LocalServers
import Logging

/// The embedded broker as integration tests start it: the repository's topics from
/// `Topics/topics.json` plus any test topics, run by the `resid` binary that `make test` builds.
///
/// The `resid` binary is taken from `RESID_BINARY` if set, else from the build products
/// directory next to the test bundle.
extension EmbeddedBroker {
    /// Starts a broker with the repository's topics and `topics` (name, partition count).
    ///
    /// - Throws: when `resid` cannot be found or the broker does not start.
    public static func start(topics: [(name: String, partitions: Int)] = []) async throws -> EmbeddedBroker {
        var logger = Logger(label: "resid.test.broker")
        logger.logLevel = .warning
        return try await EmbeddedBroker(
            executable: try residExecutable(), topicList: repositoryTopicList, topics: topics, logger: logger)
    }

    /// A consumer configuration for this broker, tuned for quick group joins and rebalances:
    /// the mock cluster's minimum session timeout (4 s) and a 500 ms heartbeat.
    public func consumerConfiguration(groupID: String, topics: [String]) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupID: groupID, topics: topics)
        configuration.sessionTimeout = .seconds(4)
        configuration.heartbeatInterval = .milliseconds(500)
        return configuration
    }

    /// A producer configuration for this broker (idempotent, acks=all, linger 1 ms).
    public func producerConfiguration() -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrapServers)
        configuration.linger = .milliseconds(1)
        return configuration
    }

    /// The repository's topic list (found from this source file's location).
    public static var repositoryTopicList: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Topics/topics.json")
    }

    /// The `resid` binary: `RESID_BINARY`, or `resid` next to the running test bundle.
    ///
    /// - Throws: ``KafkaError`` saying how to build or point to it.
    public static func residExecutable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["RESID_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let running = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [
            running.deletingLastPathComponent().appendingPathComponent("resid"),
            // On platforms where the bundle is a directory (…/X.xctest/Contents/MacOS/X).
            running.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("resid"),
        ]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        throw KafkaError(
            code: .clientCreation,
            message:
                "no resid binary next to \(running.path); run `swift build --product resid` (same -c as the tests) or set RESID_BINARY"
        )
    }
}

/// A name no other test uses: `prefix` plus a random suffix (for topics and groups).
public func uniqueTestName(_ prefix: String) -> String {
    "\(prefix).\(UUID().uuidString.prefix(8).lowercased())"
}
