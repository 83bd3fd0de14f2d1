import Kafka

/// The checks a consumed message passes before any parsing: its size, then its key's encoding.
///
/// Size comes first so that a poison pill costs one length comparison, not a JSON parse, and
/// its dead letter is a reference rather than the event (see ``DeadLetterRecord``). Keys are
/// decoded strictly: a lossy decoding would let the bytes `u\xff` name the user `u\u{FFFD}`.
struct EventAdmission: Sendable {
    /// The largest event (key plus value bytes) admitted.
    let maxEventBytes: Int

    /// The message's key as text when it is admitted.
    ///
    /// - Throws: ``EventRejection``: oversized, or a key that is not valid UTF-8.
    func admit(_ message: KafkaConsumerMessage) throws(EventRejection) -> String? {
        let size = (message.key?.count ?? 0) + (message.value?.count ?? 0)
        guard size <= maxEventBytes else {
            throw EventRejection(
                field: nil,
                reason:
                    "oversized: the event is \(size) bytes (key and value), over serve.maxEventBytes \(maxEventBytes); "
                    + "the dead letter holds its first \(DeadLetterRecord.excerptBytes) bytes",
                isOversized: true)
        }
        guard !message.hasInvalidUTF8Key else {
            throw EventRejection(field: "key", reason: "the message key is not valid UTF-8; keys must be UTF-8 text")
        }
        return message.keyString
    }
}
