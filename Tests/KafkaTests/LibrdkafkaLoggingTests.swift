import Kafka
import Logging
import Synchronization
import Testing

/// librdkafka's own log lines arrive in swift-log with their level and facility.
@Suite("librdkafka logs")
struct LibrdkafkaLoggingTests {
    @Test func librdkafkaWarningsReachTheInjectedLogger() async throws {
        let store = CapturedLogs()
        let logger = Logger(label: "test.kafka.logs") { _ in CapturingLogHandler(store: store) }
        var configuration = KafkaProducerConfiguration(bootstrapServers: [
            KafkaBrokerAddress(host: "127.0.0.1", port: 9)
        ])
        // A consumer-only property on a producer: librdkafka warns about it when the client starts.
        configuration.librdkafka["group.id"] = "ignored"
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        try await producer.shutdown(timeout: .milliseconds(100))
        let warnings = store.entries.filter { $0.level == .warning && $0.message.contains("group.id") }
        #expect(!warnings.isEmpty, "captured: \(store.entries.map(\.message))")
        #expect(warnings.allSatisfy { $0.metadata[KafkaLogKey.facility] != nil })
    }
}

final class CapturedLogs: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Entry]>([])
    var entries: [Entry] { storage.withLock { $0 } }
    func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }
}

struct CapturingLogHandler: LogHandler {
    let store: CapturedLogs
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.append(
            .init(
                level: event.level, message: "\(event.message)",
                metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
