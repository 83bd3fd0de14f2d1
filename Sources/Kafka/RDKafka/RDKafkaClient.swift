import CRdKafka
import Logging
import Synchronization

/// Owns one `rd_kafka_t` (producer or consumer) and the context its C callbacks reach.
///
/// `@unchecked Sendable`: librdkafka documents its API as thread-safe ("the application may call
/// any of its API functions from any of its own threads at any time", INTRODUCTION.md, Threads
/// and callbacks); the handle is created once, destroyed once in `deinit`, and never reassigned.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind: Sendable {
        case producer
        case consumer
    }

    let handle: OpaquePointer
    let context: RDKafkaCallbackContext
    let kind: Kind

    /// Creates a client from `settings` (librdkafka keys), failing with the key at fault.
    ///
    /// - Throws: ``KafkaError`` with code `.invalidConfiguration` naming the key for an unknown
    ///   key or a bad value, or `.clientCreation` if librdkafka refuses the configuration as a whole.
    init(kind: Kind, settings: RDKafkaSettings, context: RDKafkaCallbackContext) throws {
        let conf = try settings.makeConf()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        switch kind {
        case .producer:
            rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryCallback)
        case .consumer:
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
        }

        var errorText = [CChar](repeating: 0, count: 512)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        // rd_kafka_new takes ownership of conf on success only.
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: .clientCreation,
                message: "librdkafka refused the configuration: \(String(errorBuffer: errorText))")
        }
        self.handle = handle
        self.context = context
        self.kind = kind
    }

    deinit {
        // Blocks until librdkafka's own threads have stopped; the context outlives them.
        rd_kafka_destroy(handle)
    }

    /// librdkafka's fatal error, if one was raised (idempotent producer only).
    func fatalError() -> KafkaError? {
        var text = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(handle, &text, text.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        var error = KafkaError.rdKafka(err, context: "fatal error: \(String(errorBuffer: text))")
        error.isFatal = true
        error.isRetriable = false
        return error
    }
}

/// What the C callbacks of one client reach through librdkafka's opaque pointer.
final class RDKafkaCallbackContext: Sendable {
    let logger: Logger
    /// Rebalance events raised inside a consumer poll, drained by the consumer after each poll.
    let rebalanceEvents = Mutex<[KafkaConsumerEvent]>([])
    /// Delivery bookkeeping for producers.
    let deliveries: DeliveryTracker?

    init(logger: Logger, deliveries: DeliveryTracker? = nil) {
        self.logger = logger
        self.deliveries = deliveries
    }

    static func from(_ handle: OpaquePointer?) -> RDKafkaCallbackContext? {
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

// MARK: - C callbacks (no captures: they find their context through rd_kafka_opaque)

/// Routes librdkafka's syslog-levelled log lines into swift-log.
private let rdKafkaLogCallback:
    @convention(c) (
        OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?
    ) -> Void = { handle, level, facility, text in
        guard let context = RDKafkaCallbackContext.from(handle) else { return }
        let swiftLevel: Logger.Level =
            switch level {
            case ...2: .critical
            case 3: .error
            case 4: .warning
            case 5: .notice
            case 6: .info
            default: .debug
            }
        let facilityName = facility.map { String(cString: $0) } ?? ""
        context.logger.log(
            level: swiftLevel,
            "\(text.map { String(cString: $0) } ?? "")",
            metadata: [KafkaLogKey.facility: "\(facilityName)"])
    }

/// Client-level errors (brokers down, fatal idempotence errors): logged; fatal ones surface
/// again through ``RDKafkaClient/fatalError()`` on the next operation.
private let rdKafkaErrorCallback:
    @convention(c) (
        OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?
    ) -> Void = { handle, err, reason, _ in
        guard let context = RDKafkaCallbackContext.from(handle) else { return }
        let code = rd_kafka_resp_err_t(rawValue: err)
        let level: Logger.Level = code == RD_KAFKA_RESP_ERR__FATAL ? .error : .warning
        context.logger.log(
            level: level,
            "librdkafka error: \(reason.map { String(cString: $0) } ?? "")",
            metadata: [KafkaLogKey.errorName: "\(String(cString: rd_kafka_err2name(code)))"])
    }

/// Completes the waiter registered for a produced message (its id is the message opaque).
private let rdKafkaDeliveryCallback:
    @convention(c) (
        OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?
    ) -> Void = { handle, message, _ in
        guard let message, let context = RDKafkaCallbackContext.from(handle),
            let deliveries = context.deliveries
        else { return }
        let id = UInt64(UInt(bitPattern: message.pointee._private))
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let err = message.pointee.err
        let report = KafkaDeliveryReport(
            topic: topic,
            partition: message.pointee.partition,
            offset: err == RD_KAFKA_RESP_ERR_NO_ERROR ? message.pointee.offset : nil,
            error: err == RD_KAFKA_RESP_ERR_NO_ERROR
                ? nil : KafkaError.rdKafka(err, code: .deliveryFailed, context: "delivery to \(topic)"))
        deliveries.complete(id: id, with: report)
    }

/// Applies a group rebalance (eager or cooperative) and records it as a consumer event.
private let rdKafkaRebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { handle, err, partitions, _ in
        guard let handle, let context = RDKafkaCallbackContext.from(handle) else { return }
        let list = partitions.map(RDKafkaTopicPartitionList.topicPartitions(of:)) ?? []
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let event: KafkaConsumerEvent
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                logAndDestroy(rd_kafka_incremental_assign(handle, partitions), "incremental assign", context)
            } else {
                rd_kafka_assign(handle, partitions)
            }
            event = .partitionsAssigned(list)
        default:
            // Revocation (or a rebalance error): give up the partitions so the group can move on.
            if cooperative {
                logAndDestroy(rd_kafka_incremental_unassign(handle, partitions), "incremental unassign", context)
            } else {
                rd_kafka_assign(handle, nil)
            }
            event = .partitionsRevoked(list)
        }
        context.logger.info("rebalance: \(event)")
        context.rebalanceEvents.withLock { $0.append(event) }
    }

private func logAndDestroy(_ error: OpaquePointer?, _ operation: String, _ context: RDKafkaCallbackContext) {
    guard let error else { return }
    context.logger.error("\(operation) failed: \(String(cString: rd_kafka_error_string(error)))")
    rd_kafka_error_destroy(error)
}
