import Foundation
import Kafka
import LocalServers
import Logging
import Synchronization

/// Reads the prediction topic in the background and remembers when each event's first
/// prediction arrived and the daemon-reported total latency.
public final class PredictionCollector: Sendable {
    private struct State {
        var sentAt: [String: ContinuousClock.Instant] = [:]
        var received: [String: (at: ContinuousClock.Instant, total: Double)] = [:]
    }

    private let state = Mutex(State())

    /// A collector that has seen nothing yet.
    public init() {}

    public func sent(_ ids: [String], at instant: ContinuousClock.Instant) {
        state.withLock { state in for id in ids { state.sentAt[id] = instant } }
    }

    private struct Record: Decodable {
        struct Source: Decodable { var event_id: String }
        var source: Source
        var latency_ms: [String: Double]
    }

    public func follow(broker: EmbeddedBroker, topic: String, logger: Logger) async throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: "bench-reader-\(UUID().uuidString.prefix(8))", topics: [topic])
        configuration.sessionTimeout = .seconds(4)
        configuration.heartbeatInterval = .milliseconds(500)
        configuration.pollBatchSize = 2048
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        var iterator = consumer.events.makeAsyncIterator()
        let decoder = JSONDecoder()
        while !Task.isCancelled, let events = try await iterator.nextBatch() {
            let now = ContinuousClock.now
            var batch: [(String, Double)] = []
            for case .message(let message) in events {
                guard let value = message.value, let record = try? decoder.decode(Record.self, from: Data(value)) else { continue }
                batch.append((record.source.event_id, record.latency_ms["total"] ?? 0))
            }
            state.withLock { state in
                for (id, total) in batch where state.received[id] == nil { state.received[id] = (now, total) }
            }
        }
        try? await consumer.close()
    }

    /// Waits until every id has a prediction; returns when the last one arrived.
    public func waitForAll(_ ids: [String], timeout: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (missing, last) = state.withLock { state -> (Int, ContinuousClock.Instant?) in
                var missing = 0
                var last: ContinuousClock.Instant?
                for id in ids {
                    if let entry = state.received[id] { last = max(last ?? entry.at, entry.at) } else { missing += 1 }
                }
                return (missing, last)
            }
            if missing == 0, let last { return last }
            guard ContinuousClock.now < deadline else { throw HarnessFailure("\(missing) of \(ids.count) events got no prediction within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Produce-to-receive and daemon-reported latencies (milliseconds) of `ids`.
    public func latencies(_ ids: [String]) -> ([Double], [Double]) {
        state.withLock { state in
            var endToEnd: [Double] = []
            var daemon: [Double] = []
            for id in ids {
                guard let sent = state.sentAt[id], let received = state.received[id] else { continue }
                endToEnd.append((received.at - sent).seconds * 1000)
                daemon.append(received.total)
            }
            return (endToEnd, daemon)
        }
    }
}
