/// The cluster's answer for one produced message.
public struct KafkaDeliveryReport: Sendable {
    /// The topic the message was produced to.
    public var topic: String
    /// The partition it landed in (or was aimed at, if delivery failed).
    public var partition: Int32
    /// Its offset, when delivered.
    public var offset: Int64?
    /// Why delivery failed, or `nil` when the message is acknowledged.
    public var error: KafkaError?

    /// Whether the cluster acknowledged the message.
    public var isDelivered: Bool { error == nil }
}
