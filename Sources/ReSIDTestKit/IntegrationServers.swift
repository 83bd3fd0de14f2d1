import Kafka
public import LocalServers

/// The real servers an integration test needs, started together and stopped together: the
/// embedded Kafka broker and a private redis-server (persistence off).
public struct IntegrationServers: Sendable {
    /// The embedded Kafka broker.
    public let broker: EmbeddedBroker
    /// The private redis-server.
    public let redis: RedisServer

    /// Starts every server; if one fails to start, the ones already started are stopped.
    ///
    /// - Parameter topics: test topics for the broker (unique names) and partition counts.
    /// - Throws: the first start-up error.
    public static func start(topics: [(name: String, partitions: Int)] = []) async throws -> IntegrationServers {
        let redis = try await RedisServer.start()
        do {
            let broker = try await EmbeddedBroker.start(topics: topics)
            return IntegrationServers(broker: broker, redis: redis)
        } catch {
            await redis.stop()
            throw error
        }
    }

    /// Stops every server. Idempotent.
    public func stop() async {
        await broker.stop()
        await redis.stop()
    }
}

/// Runs `body` with every integration server running and stops them all afterwards, also when
/// `body` throws.
public func withIntegrationServers<T>(
    topics: [(name: String, partitions: Int)] = [], _ body: (IntegrationServers) async throws -> T
) async throws -> T {
    let servers = try await IntegrationServers.start(topics: topics)
    do {
        let result = try await body(servers)
        await servers.stop()
        return result
    } catch {
        await servers.stop()
        throw error
    }
}
