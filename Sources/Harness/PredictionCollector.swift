import Foundation
import Kafka
public import LocalServers
public import Logging
import Synchronization

/// Reads the prediction topic in the background and remembers when each event's first
/// prediction arrived and the daemon-reported total latency.
///
/// It also splits the end-to-end time at the daemon, on the wall clock that the daemon's
/// `produced_at_ms` uses (same machine): into the daemon (sent to polled, the broker's inbound
/// hop) and out of it (produced to received, the outbound hop). `produced_at_ms` is rounded to
/// the nearest millisecond (`nowMilliseconds()`), so each figure is exact to half a millisecond
/// and unbiased, and their percentiles show where the time goes. (Until 2026-12-06 it was read
/// as if truncated, half a millisecond late: the inbound hop read 0.5 ms too long and the
/// outbound one 0.5 ms too short; their sum, and the end-to-end figure, were right.)
public final class PredictionCollector: Sendable {
    private struct Sent {
        var at: ContinuousClock.Instant
        var wallMilliseconds: Double
    }

    private struct Received {
        var at: ContinuousClock.Instant
        var wallMilliseconds: Double
        var total: Double
        var producedAtMilliseconds: Double
    }

    private struct State {
        var sent: [String: Sent] = [:]
        var received: [String: Received] = [:]
    }

    /// Latencies of a set of events, milliseconds.
    public struct Latencies: Sendable {
        /// Sent to prediction received.
        public var endToEnd: [Double] = []
        /// The daemon's own figure (`latency_ms.total`: poll to produce).
        public var daemon: [Double] = []
        /// Sent to polled by the daemon.
        public var inbound: [Double] = []
        /// Produced by the daemon to received.
        public var outbound: [Double] = []
    }

    private let state = Mutex(State())

    /// A collector that has seen nothing yet.
    public init() {}

    public func sent(_ ids: [String], at instant: ContinuousClock.Instant) {
        let sent = Sent(at: instant, wallMilliseconds: Self.wallMilliseconds())
        state.withLock { state in for id in ids { state.sent[id] = sent } }
    }

    private static func wallMilliseconds() -> Double {
        Date().timeIntervalSince1970 * 1000
    }

    private struct Record: Decodable {
        struct Source: Decodable { var event_id: String }
        var source: Source
        var latency_ms: [String: Double]
        var produced_at_ms: Double
    }

    public func follow(broker: EmbeddedBroker, topic: String, logger: Logger) async throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: broker.bootstrapServers, groupID: "bench-reader-\(UUID().uuidString.prefix(8))",
            topics: [topic])
        configuration.sessionTimeout = .seconds(4)
        configuration.heartbeatInterval = .milliseconds(500)
        configuration.pollBatchSize = 2048
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        var iterator = consumer.events.makeAsyncIterator()
        let decoder = JSONDecoder()
        while !Task.isCancelled, let events = try await iterator.nextBatch() {
            let (now, wall) = (ContinuousClock.now, Self.wallMilliseconds())
            var batch: [(String, Received)] = []
            for case .message(let message) in events {
                guard let value = message.value, let record = try? decoder.decode(Record.self, from: Data(value)) else {
                    continue
                }
                let received = Received(
                    at: now, wallMilliseconds: wall, total: record.latency_ms["total"] ?? 0,
                    producedAtMilliseconds: record.produced_at_ms)
                batch.append((record.source.event_id, received))
            }
            state.withLock { state in
                for (id, received) in batch where state.received[id] == nil { state.received[id] = received }
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
            guard ContinuousClock.now < deadline else {
                throw HarnessFailure("\(missing) of \(ids.count) events got no prediction within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The latencies of `ids` that have their prediction.
    public func latencies(_ ids: [String]) -> Latencies {
        state.withLock { state in
            var latencies = Latencies()
            for id in ids {
                guard let sent = state.sent[id], let received = state.received[id] else { continue }
                latencies.endToEnd.append((received.at - sent.at).seconds * 1000)
                latencies.daemon.append(received.total)
                latencies.inbound.append(received.producedAtMilliseconds - received.total - sent.wallMilliseconds)
                latencies.outbound.append(received.wallMilliseconds - received.producedAtMilliseconds)
            }
            return latencies
        }
    }
}
