import Kafka
import Synchronization

/// Liveness and readiness of one daemon instance, for `/health/*` and the `ready` gauge.
///
/// Ready = the bundles are loaded, the item-SID topic has been read up to its end once, and the
/// event consumer is running. Live = the event loop has not failed.
public final class ServeHealth: Sendable {
    private struct State {
        var itemSIDsCaughtUp = false
        var consuming = false
        var failed: String?
        var partitions: Set<KafkaTopicPartition> = []
    }

    private let state = Mutex(State())

    /// A fresh state: live, not ready.
    public init() {}

    /// True once the follower has caught up.
    public var itemSIDsCaughtUp: Bool { state.withLock { $0.itemSIDsCaughtUp } }
    /// True while the event loop runs and nothing failed.
    public var isLive: Bool { state.withLock { $0.failed == nil } }
    /// True when the instance serves.
    public var isReady: Bool { state.withLock { $0.itemSIDsCaughtUp && $0.consuming && $0.failed == nil } }
    /// Why the instance is not live, if it is not.
    public var failure: String? { state.withLock { $0.failed } }

    /// The event partitions this instance owns now.
    public var assignedPartitions: Set<KafkaTopicPartition> { state.withLock { $0.partitions } }

    func assign(_ partitions: [KafkaTopicPartition]) { state.withLock { $0.partitions.formUnion(partitions) } }
    func revoke(_ partitions: [KafkaTopicPartition]) { state.withLock { $0.partitions.subtract(partitions) } }
    func markItemSIDsCaughtUp() { state.withLock { $0.itemSIDsCaughtUp = true } }
    func setConsuming(_ value: Bool) { state.withLock { $0.consuming = value } }
    func markFailed(_ reason: String) { state.withLock { $0.failed = reason } }
}
