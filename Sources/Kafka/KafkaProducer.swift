import CRdKafka
import Foundation
public import Logging
import Synchronization

/// An idempotent producer whose delivery reports can be awaited per message or per batch.
///
/// A dedicated thread serves librdkafka's delivery callbacks (`rd_kafka_poll`), so awaiting
/// tasks are resumed without anyone polling on the cooperative pool.
///
/// - Important: call ``shutdown(timeout:)`` when done: it flushes queued messages and stops the
///   poll thread. Dropping the producer without it fails every undelivered message.
public final class KafkaProducer: Sendable {
    let client: RDKafkaClient
    let metadataQueue = BlockingExecutor(label: "resid.kafka.producer.metadata")
    private let deliveries: DeliveryTracker
    private let pollThread: PollThread
    private let blocking: BlockingExecutor
    private let logger: Logger

    /// Creates the producer and starts its delivery-report thread.
    ///
    /// - Throws: ``KafkaError`` `.invalidConfiguration` naming the bad key.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        var logger = logger
        logger[metadataKey: KafkaLogKey.clientID] = "\(configuration.clientID)"
        self.logger = logger
        deliveries = DeliveryTracker()
        client = try RDKafkaClient(
            kind: .producer, settings: configuration.settings(),
            context: RDKafkaCallbackContext(logger: logger, deliveries: deliveries))
        blocking = BlockingExecutor(label: "resid.kafka.producer.blocking")
        pollThread = PollThread(client: client)
    }

    deinit {
        pollThread.stop()
        deliveries.failAll(with: KafkaError(code: .shutDown, message: "producer dropped before delivery"))
    }

    /// Produces one message and waits for the cluster's acknowledgement.
    ///
    /// - Returns: the delivery report (partition and offset).
    /// - Throws: ``KafkaError`` `.deliveryFailed` if the cluster did not take it (after
    ///   librdkafka's own retries), `.queueFull` (retriable) if the local queue is full.
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        if let fatal = client.fatalError() { throw fatal }
        let report = await withCheckedContinuation { (continuation: CheckedContinuation<KafkaDeliveryReport, Never>) in
            guard let id = deliveries.register(.single(continuation)) else {
                continuation.resume(returning: Self.shutDownReport(message))
                return
            }
            let err = enqueue(message, id: id, block: false)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                deliveries.complete(id: id, with: Self.failedReport(message, err))
            }
        }
        if let error = report.error { throw error }
        return report
    }

    /// Produces `messages` in order and waits until every one has its delivery report.
    ///
    /// Messages are enqueued on the calling thread while librdkafka's queue has room, so a small
    /// batch reaches the broker thread without a hop through another thread (a tenth of a
    /// millisecond or more on a loaded machine, on every prediction's path). From the first
    /// message that finds the queue full, the rest wait for room off the cooperative pool, so a
    /// batch may be larger than ``KafkaProducerConfiguration/queueMaxMessages``.
    /// - Returns: one report per message, in input order; failed ones carry their error.
    /// - Throws: a fatal ``KafkaError`` only; per-message failures are in the reports.
    public func send(batch messages: [KafkaProducerMessage]) async throws -> [KafkaDeliveryReport] {
        if let fatal = client.fatalError() { throw fatal }
        guard !messages.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let batch = DeliveryBatch(count: messages.count, continuation: continuation)
            let enqueued = enqueue(messages, from: 0, for: batch, block: false)
            if enqueued < messages.count {
                blocking.async { [self] in _ = enqueue(messages, from: enqueued, for: batch, block: true) }
            }
        }
    }

    /// Enqueues `messages[start...]` as members of `batch`.
    ///
    /// - Returns: the index of the first message that found the queue full (only when not
    ///   `block`ing; it is not enqueued), or `messages.count`.
    private func enqueue(
        _ messages: [KafkaProducerMessage], from start: Int, for batch: DeliveryBatch, block: Bool
    ) -> Int {
        for index in start..<messages.count {
            let message = messages[index]
            guard let id = deliveries.register(.batch(batch, index: index)) else {
                batch.fill(index, with: Self.shutDownReport(message))
                continue
            }
            let err = enqueue(message, id: id, block: block)
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL, !block {
                deliveries.withdraw(id: id)
                return index
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                deliveries.complete(id: id, with: Self.failedReport(message, err))
            }
        }
        return messages.count
    }

    /// Waits until every queued message has its delivery report, or the deadline passes.
    ///
    /// - Throws: ``KafkaError`` `.timedOut` naming how many messages are still in flight.
    public func flush(timeout: Duration) async throws {
        try await blocking.run { [client] in
            let err = rd_kafka_flush(client.handle, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.rdKafka(
                    err, context: "flush: \(rd_kafka_outq_len(client.handle)) messages still in flight after \(timeout)"
                )
            }
        }
    }

    /// Flushes within `timeout`, then stops the delivery thread; messages still undelivered
    /// fail with `.shutDown`. Idempotent.
    ///
    /// - Throws: ``KafkaError`` `.timedOut` if the flush did not finish (the producer is shut
    ///   down anyway).
    public func shutdown(timeout: Duration) async throws {
        defer {
            pollThread.stop()
            deliveries.failAll(with: KafkaError(code: .shutDown, message: "producer shut down before delivery"))
        }
        try await flush(timeout: timeout)
    }

    /// Number of messages waiting for a delivery report.
    public var inFlightCount: Int { deliveries.pendingCount }

    /// Calls `rd_kafka_produceva` (the array form: variadic C functions are not callable).
    private func enqueue(_ message: KafkaProducerMessage, id: UInt64, block: Bool) -> rd_kafka_resp_err_t {
        message.topic.withCString { topic in
            withOptionalBytes(message.key) { key in
                withOptionalBytes(message.value) { value in
                    // Stack storage: this runs once per message.
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6) { values in
                        values.initialize(repeating: rd_kafka_vu_t())
                        values[0].vtype = RD_KAFKA_VTYPE_TOPIC
                        values[0].u.cstr = topic
                        values[1].vtype = RD_KAFKA_VTYPE_KEY
                        values[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        values[1].u.mem.size = key.count
                        values[2].vtype = RD_KAFKA_VTYPE_VALUE
                        values[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        values[2].u.mem.size = value.count
                        values[3].vtype = RD_KAFKA_VTYPE_OPAQUE
                        values[3].u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id))
                        values[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        // Copy: Swift owns the buffers only for the duration of this call.
                        values[4].u.i = RD_KAFKA_MSG_F_COPY | (block ? RD_KAFKA_MSG_F_BLOCK : 0)
                        values[5].vtype = RD_KAFKA_VTYPE_PARTITION
                        values[5].u.i32 = message.partition ?? RD_KAFKA_PARTITION_UA
                        guard let error = rd_kafka_produceva(client.handle, values.baseAddress, values.count) else {
                            return RD_KAFKA_RESP_ERR_NO_ERROR
                        }
                        defer { rd_kafka_error_destroy(error) }
                        return rd_kafka_error_code(error)
                    }
                }
            }
        }
    }

    private static func failedReport(_ message: KafkaProducerMessage, _ err: rd_kafka_resp_err_t) -> KafkaDeliveryReport
    {
        KafkaDeliveryReport(
            topic: message.topic, partition: message.partition ?? -1, offset: nil,
            error: KafkaError.rdKafka(err, code: .deliveryFailed, context: "enqueue to \(message.topic)"))
    }

    private static func shutDownReport(_ message: KafkaProducerMessage) -> KafkaDeliveryReport {
        KafkaDeliveryReport(
            topic: message.topic, partition: message.partition ?? -1, offset: nil,
            error: KafkaError(code: .shutDown, message: "producer is shut down"))
    }
}

/// Passes a `nil` byte array as an empty buffer with a `nil` base address (no key / tombstone).
private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    guard let bytes else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return bytes.withUnsafeBytes(body)
}

/// The thread that serves a producer's callbacks with `rd_kafka_poll`, kept off the
/// cooperative pool because each poll blocks for up to its timeout.
private final class PollThread: Sendable {
    private let isStopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    private let isJoined = Atomic<Bool>(false)

    init(client: RDKafkaClient) {
        let thread = Thread { [self] in
            while !isStopping.load(ordering: .acquiring) {
                rd_kafka_poll(client.handle, 50)
            }
            stopped.signal()
        }
        thread.name = "resid.kafka.producer.poll"
        thread.start()
    }

    /// Stops the thread and waits for it (at most one poll timeout). Idempotent.
    func stop() {
        isStopping.store(true, ordering: .releasing)
        guard !isJoined.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stopped.wait()
    }
}
