public import Kafka
import Synchronization

/// Liveness and readiness of one daemon instance, for `/health/*` and the `ready` gauge.
///
/// Ready means "can process now": the item-SID topic has been replayed to its end, the event
/// consumer runs, a broker answered the last probe and Redis answered the last call. Live means
/// the event loop has not failed; an outage makes the instance not ready, never not live, so an
/// orchestrator stops routing to it without restarting it.
public final class ServeHealth: Sendable {
    private struct State {
        var itemSIDsCaughtUp = false
        var consuming = false
        var brokerReachable = true
        var redisReachable = true
        var missingTopics: [String] = []
        var held: Set<KafkaTopicPartition> = []
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
    /// True when the instance can process events now.
    public var isReady: Bool { notReadyReasons.isEmpty }
    /// Why the instance is not ready (empty when it is).
    public var notReadyReasons: [String] {
        state.withLock { state in
            var reasons: [String] = []
            if let failed = state.failed { reasons.append("failed: \(failed)") }
            if !state.itemSIDsCaughtUp { reasons.append("item-SID topic not yet replayed") }
            if !state.consuming { reasons.append("event consumer not running") }
            if !state.brokerReachable { reasons.append("no Kafka broker reachable") }
            if !state.redisReachable { reasons.append("Redis unreachable") }
            if !state.held.isEmpty {
                let names = state.held.sorted().map { "\($0.topic)/\($0.partition)" }.joined(separator: ", ")
                reasons.append("partitions re-created or truncated, held: \(names)")
            }
            if !state.missingTopics.isEmpty {
                reasons.append("topics missing on the cluster: \(state.missingTopics.joined(separator: ", "))")
            }
            return reasons
        }
    }
    /// Why the instance is not live, if it is not.
    public var failure: String? { state.withLock { $0.failed } }

    /// The event partitions this instance owns now.
    public var assignedPartitions: Set<KafkaTopicPartition> { state.withLock { $0.partitions } }

    /// Input partitions held because their log restarted below the group's committed offset.
    public var heldPartitions: Set<KafkaTopicPartition> { state.withLock { $0.held } }

    func assign(_ partitions: [KafkaTopicPartition]) { state.withLock { $0.partitions.formUnion(partitions) } }
    func revoke(_ partitions: [KafkaTopicPartition]) {
        state.withLock {
            $0.partitions.subtract(partitions)
            $0.held.subtract(partitions)
        }
    }
    func hold(_ partitions: [KafkaTopicPartition]) { state.withLock { $0.held.formUnion(partitions) } }
    func markItemSIDsCaughtUp() { state.withLock { $0.itemSIDsCaughtUp = true } }
    func setConsuming(_ value: Bool) { state.withLock { $0.consuming = value } }
    func setBrokerReachable(_ value: Bool) { state.withLock { $0.brokerReachable = value } }
    func setRedisReachable(_ value: Bool) { state.withLock { $0.redisReachable = value } }
    func setMissingTopics(_ topics: [String]) { state.withLock { $0.missingTopics = topics } }
    func markFailed(_ reason: String) { state.withLock { $0.failed = reason } }
}
