import Foundation
import Kafka
import LocalServers
import Logging
import Tensor

/// Produce and consume throughput through the embedded broker (a `resid broker` child process,
/// librdkafka's mock cluster over loopback TCP), for `resid bench kafka`.
///
/// Baseline in the same run: producing one message at a time, awaiting each delivery report,
/// against batched produce with delivery reports awaited per batch.
public struct KafkaBenchmark: Sendable {
    /// Messages produced (batched) and then consumed.
    public var messages = 100_000

    /// Bytes per message value (synthetic, seeded random bytes).
    public var messageBytes = 1024

    /// Partitions of the benchmark topic (the embedded broker keeps at most 5 MiB per partition).
    public var partitions = 32

    /// Messages per batch whose delivery reports are awaited together.
    public var batch = 10_000

    /// Messages for the one-at-a-time baseline.
    public var sequentialMessages = 2_000

    public struct Phase: Codable, Sendable {
        public var messages: Int
        public var failed: Int
        public var seconds: Double
        public var messagesPerSecond: Double
        public var megabytesPerSecond: Double
    }

    public struct Config: Codable, Sendable {
        public var broker: String
        public var librdkafka: String
        public var messageBytes: Int
        public var payload: String
        public var partitions: Int
        public var batchSize: Int
        public var producer: [String: String]
        public var consumer: [String: String]
        public var cores: Int
    }

    public struct Report: Codable, Sendable {
        public var benchmark = "kafka"
        public var config: Config
        public var produceSequential: Phase
        public var produceBatched: Phase
        public var batchedOverSequential: Double
        public var consume: Phase
        public var consumeGroupJoinSeconds: Double
    }

    /// librdkafka 2.0.2's mock cluster keeps at most 5 MiB (and 100k message sets) per partition.
    public static let mockPartitionBytes = 5.0 * 1024 * 1024

    /// Why these settings cannot run, or `nil`: counts below 1, or more data per partition than
    /// the embedded broker keeps.
    public var problem: String? {
        guard messages >= 1, sequentialMessages >= 1, batch >= 1, partitions >= 1, messageBytes >= 0 else {
            return "--messages, --sequential-messages, --batch and --partitions must be at least 1"
        }
        // librdkafka's mock cluster drops a partition's oldest data beyond 5 MiB; the consumer
        // would then never see every message. Keep a margin for record overhead.
        let perPartition = Double(messages) * Double(messageBytes + 100) / Double(partitions)
        guard perPartition <= Self.mockPartitionBytes * 0.9 else {
            let needed = Int(
                (Double(messages) * Double(messageBytes + 100) / (Self.mockPartitionBytes * 0.9)).rounded(.up))
            return
                "--messages \(messages) x \(messageBytes) B over \(partitions) partitions exceeds the embedded broker's 5 MiB per partition; use --partitions \(needed) or fewer messages"
        }
        return nil
    }

    /// The defaults of `resid bench kafka`.
    public init() {}

    /// Starts a broker with two fresh topics, measures, and stops it.
    public func run() async throws -> Report {
        var logger = Logger(label: "resid.bench.kafka")
        logger.logLevel = .warning
        let runID = UUID().uuidString.prefix(8).lowercased()
        let topic = "bench.kafka.\(runID)"
        let sequentialTopic = "bench.kafka.sequential.\(runID)"
        let broker = try await EmbeddedBroker(
            topics: [(topic, partitions), (sequentialTopic, partitions)],
            logger: logger)
        do {
            let report = try await measure(
                broker: broker, topic: topic, sequentialTopic: sequentialTopic, logger: logger)
            await broker.stop()
            return report
        } catch {
            await broker.stop()
            throw error
        }
    }

    private func measure(
        broker: EmbeddedBroker, topic: String, sequentialTopic: String, logger: Logger
    ) async throws -> Report {
        var random = SeededRandom(seed: 42)
        // A few distinct payloads, so the run measures Kafka rather than the generator.
        let payloads: [[UInt8]] = (0..<16).map { _ in
            (0..<messageBytes).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        func message(_ index: Int, topic: String) -> KafkaProducerMessage {
            KafkaProducerMessage(topic: topic, key: "key-\(index)", value: payloads[index % payloads.count])
        }

        // Baseline: await each report before sending the next (no linger, nothing to batch).
        var sequentialConfig = KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers)
        sequentialConfig.linger = .zero
        let sequentialProducer = try KafkaProducer(configuration: sequentialConfig, logger: logger)
        progress("produce one at a time: \(sequentialMessages) messages")
        var failed = 0
        var watch = Stopwatch()
        for index in 0..<sequentialMessages {
            do { _ = try await sequentialProducer.send(message(index, topic: sequentialTopic)) } catch { failed += 1 }
        }
        let sequential = phase(sequentialMessages, failed: failed, seconds: watch.elapsed)
        try await sequentialProducer.shutdown(timeout: .seconds(10))

        let producerConfig = KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers)
        let producer = try KafkaProducer(configuration: producerConfig, logger: logger)
        progress("produce batched: \(messages) messages in batches of \(batch)")
        watch.restart()
        let batches = stride(from: 0, to: messages, by: batch).map { start in
            (start..<min(start + batch, messages)).map { message($0, topic: topic) }
        }
        // All batches in flight at once: enqueueing is ordered on the producer's queue and
        // waits while librdkafka's queue is full.
        failed = try await withThrowingTaskGroup(of: Int.self) { group in
            for messages in batches {
                group.addTask { try await producer.send(batch: messages).count { !$0.isDelivered } }
            }
            var failed = 0
            var finished = 0
            for try await batchFailures in group {
                failed += batchFailures
                finished += 1
                progress("  \(finished)/\(batches.count) batches acknowledged")
            }
            return failed
        }
        let batched = phase(messages, failed: failed, seconds: watch.elapsed)
        try await producer.shutdown(timeout: .seconds(10))

        var consumerConfig = KafkaConsumerConfiguration(
            bootstrapServers: broker.bootstrapServers, groupID: "bench-\(topic)", topics: [topic])
        consumerConfig.sessionTimeout = .seconds(6)
        consumerConfig.pollBatchSize = 1000
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)
        progress("consume: joining group, then reading \(messages) messages")
        watch.restart()
        var consumed = 0
        var joinSeconds = 0.0
        var firstMessage: Stopwatch?
        // Give up after 60 s rather than wait forever for missing messages (counted as failed).
        let stall = Task {
            try await Task.sleep(for: .seconds(60))
            try await consumer.close()
        }
        defer { stall.cancel() }
        for try await _ in consumer.messages {
            if firstMessage == nil {
                joinSeconds = watch.elapsed
                firstMessage = Stopwatch()
            }
            consumed += 1
            if consumed % 10_000 == 0 { progress("  \(consumed) consumed") }
            if consumed == messages { break }
        }
        let consumeSeconds = firstMessage?.elapsed ?? 0
        try await consumer.close()
        // The first message's own fetch is inside the join time; count the rest.
        let consume = phase(max(consumed - 1, 0), failed: messages - consumed, seconds: consumeSeconds)

        return Report(
            config: Config(
                broker: "embedded: librdkafka mock cluster, 1 broker, separate process, loopback TCP",
                librdkafka: KafkaVersion.librdkafka,
                messageBytes: messageBytes,
                payload: "synthetic: 16 seeded random payloads, key 'key-<n>'",
                partitions: partitions,
                batchSize: batch,
                producer: [
                    "enable.idempotence": "\(producerConfig.enableIdempotence)", "acks": producerConfig.acks.rawValue,
                    "linger.ms":
                        "\(producerConfig.linger.components.seconds * 1000 + producerConfig.linger.components.attoseconds / 1_000_000_000_000_000)",
                    "compression": producerConfig.compression.rawValue,
                    "sequential.linger.ms": "0", "sequential.messages": "\(sequentialMessages)",
                ],
                consumer: [
                    "poll.batch.size": "\(consumerConfig.pollBatchSize)",
                    "auto.offset.reset": consumerConfig.autoOffsetReset.rawValue,
                    "enable.auto.commit": "false",
                ],
                cores: ProcessInfo.processInfo.activeProcessorCount),
            produceSequential: sequential,
            produceBatched: batched,
            batchedOverSequential: batched.messagesPerSecond / max(sequential.messagesPerSecond, 1e-9),
            consume: consume,
            consumeGroupJoinSeconds: joinSeconds)
    }

    private func phase(_ count: Int, failed: Int, seconds: Double) -> Phase {
        let rate = seconds > 0 ? Double(count) / seconds : 0
        return Phase(
            messages: count, failed: failed, seconds: seconds, messagesPerSecond: rate,
            megabytesPerSecond: rate * Double(messageBytes) / 1_000_000)
    }

    /// Progress goes to standard error so that `--json` output stays parseable.
    private func progress(_ line: String) {
        FileHandle.standardError.write(Data("[bench kafka] \(line)\n".utf8))
    }

}
