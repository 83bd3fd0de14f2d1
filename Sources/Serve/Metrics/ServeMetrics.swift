import Synchronization

/// The daemon's metrics, rendered in the Prometheus text format for `/metrics`.
///
/// Label sets are bounded: topic names, variant names and bundle ids come from configuration,
/// never from event contents (no per-user or per-item label). Updates are aggregated per poll
/// batch by the callers, so the lock is taken a few times per batch, not per event.
public final class ServeMetrics: Sendable {
    /// Counters and gauges as they stand.
    public struct Values: Sendable, Equatable {
        /// Input events by topic and outcome (`processed`, `dead_letter`).
        public var events: [Pair: UInt64] = [:]
        /// Predictions produced, by variant.
        public var predictions: [String: UInt64] = [:]
        /// Dead letters produced, by source topic.
        public var deadLetters: [String: UInt64] = [:]
        /// Beams returned and invalid beams, by variant.
        public var beams: [String: UInt64] = [:]
        public var invalidBeams: [String: UInt64] = [:]
        /// New SIDs assigned by this instance, by bundle.
        public var newSIDs: [String: UInt64] = [:]
        /// New SIDs past the bundle's level-3 codes (every code of the item's group was taken):
        /// tokens the generator never trained on, by bundle.
        public var overflowSIDs: [String: UInt64] = [:]
        /// New SIDs on a free trained code of a sibling group because the item's own (c1, c2)
        /// group was full, by bundle.
        public var spilledSIDs: [String: UInt64] = [:]
        /// New items with at least one field whose values the bundle's vocabulary does not hold,
        /// by field name (bounded by the bundle's schema).
        public var unknownFieldItems: [String: UInt64] = [:]
        /// Level-3 capacity in use (frozen + online items over b1·b2·g3), by bundle.
        public var level3CapacityUsed: [String: Double] = [:]
        /// Items in each bundle's live catalogue, and how many the generator cannot decode.
        public var catalogItems: [String: UInt64] = [:]
        public var undecodableItems: [String: UInt64] = [:]
        /// Consumer lag (high watermark minus position) by topic, summed over assigned partitions.
        public var consumerLag: [String: Int64] = [:]
        /// Prefix updates that were replays (already applied: nothing changed).
        public var prefixReplays: UInt64 = 0
        /// Interaction events whose event id the user's window already held at another
        /// position: neither applied nor predicted.
        public var duplicateEvents: UInt64 = 0
        /// Input events over `serve.maxEventBytes`, dead-lettered unparsed.
        public var oversizedEvents: UInt64 = 0
        /// Times a Redis call failed for lack of a server and the batch waited for it.
        public var redisOutageWaits: UInt64 = 0
        /// Producers replaced after the cluster lost their idempotence state.
        public var producerRenewals: UInt64 = 0
        /// Input partitions found re-created (committed offset past the log's end), held.
        public var topicResets: UInt64 = 0
        /// Offset commits that failed (retried with the next batch).
        public var commitFailures: UInt64 = 0
        /// Output messages re-sent after a failed delivery.
        public var deliveryRetries: UInt64 = 0
        /// Configuration reloads (SIGHUP) that succeeded / failed.
        public var reloads: UInt64 = 0
        public var reloadFailures: UInt64 = 0
        /// Prediction latency (event poll to delivery acknowledged), by variant.
        public var predictionLatency: [String: LatencyHistogram] = [:]
        /// Decode pass time (encoder and beam search), by variant.
        public var decodeLatency: [String: LatencyHistogram] = [:]
        /// Whole poll-batch time, poll to commit.
        public var batchLatency = LatencyHistogram()
        /// Readiness (1 ready, 0 not).
        public var ready = false
        /// Input partitions this instance owns.
        public var assignedPartitions = 0
    }

    /// Two labels.
    public struct Pair: Hashable, Sendable {
        public var first: String
        public var second: String
        public init(_ first: String, _ second: String) {
            self.first = first
            self.second = second
        }
    }

    private let values = Mutex(Values())

    /// Empty metrics.
    public init() {}

    /// Changes the values under the lock.
    public func update(_ body: (inout Values) -> Void) {
        values.withLock { body(&$0) }
    }

    /// A copy of the values.
    public var current: Values { values.withLock { $0 } }

    /// The Prometheus text exposition (version 0.0.4).
    public func render() -> String {
        let v = current
        var text = ""
        text.reserveCapacity(4096)
        func header(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func labelled<T>(_ name: String, _ label: String, _ map: [String: T], _ format: (T) -> String) {
            for key in map.keys.sorted() { text += "\(name){\(label)=\"\(Self.escape(key))\"} \(format(map[key]!))\n" }
        }
        header("resid_serve_events_total", "counter", "Input events by topic and outcome.")
        for pair in v.events.keys.sorted(by: { ($0.first, $0.second) < ($1.first, $1.second) }) {
            text += "resid_serve_events_total{topic=\"\(Self.escape(pair.first))\",outcome=\"\(Self.escape(pair.second))\"} \(v.events[pair]!)\n"
        }
        header("resid_serve_predictions_total", "counter", "Predictions produced, by variant.")
        labelled("resid_serve_predictions_total", "variant", v.predictions) { "\($0)" }
        header("resid_serve_dead_letters_total", "counter", "Events sent to the dead-letter topic, by source topic.")
        labelled("resid_serve_dead_letters_total", "topic", v.deadLetters) { "\($0)" }
        header("resid_serve_beams_total", "counter", "Beams returned by the constrained search, by variant.")
        labelled("resid_serve_beams_total", "variant", v.beams) { "\($0)" }
        header("resid_serve_invalid_beams_total", "counter", "Beams that decoded to no item, by variant.")
        labelled("resid_serve_invalid_beams_total", "variant", v.invalidBeams) { "\($0)" }
        header("resid_serve_new_sids_total", "counter", "SIDs assigned to new items by this instance, by bundle.")
        labelled("resid_serve_new_sids_total", "bundle", v.newSIDs) { "\($0)" }
        header("resid_serve_overflow_sids_total", "counter", "New SIDs on an overflow level-3 code (their group had no free trained code), by bundle.")
        labelled("resid_serve_overflow_sids_total", "bundle", v.overflowSIDs) { "\($0)" }
        header("resid_serve_spilled_sids_total", "counter", "New SIDs on a free trained level-3 code of a sibling group (the item's own group was full), by bundle.")
        labelled("resid_serve_spilled_sids_total", "bundle", v.spilledSIDs) { "\($0)" }
        header("resid_serve_unknown_field_items_total", "counter", "New items with values the bundle does not know in a field, by field.")
        labelled("resid_serve_unknown_field_items_total", "field", v.unknownFieldItems) { "\($0)" }
        header("resid_serve_level3_capacity_used_ratio", "gauge", "Items over the bundle's b1*b2*g3 SID slots.")
        labelled("resid_serve_level3_capacity_used_ratio", "bundle", v.level3CapacityUsed) { "\($0)" }
        header("resid_serve_catalog_items", "gauge", "Items in the live catalogue, by bundle.")
        labelled("resid_serve_catalog_items", "bundle", v.catalogItems) { "\($0)" }
        header("resid_serve_undecodable_items", "gauge", "Online items whose SID the bundle's generator cannot emit.")
        labelled("resid_serve_undecodable_items", "bundle", v.undecodableItems) { "\($0)" }
        header("resid_serve_consumer_lag", "gauge", "Messages behind the high watermark on assigned partitions, by topic.")
        labelled("resid_serve_consumer_lag", "topic", v.consumerLag) { "\($0)" }
        header("resid_serve_prefix_replays_total", "counter", "Interaction events whose prefix update was already applied.")
        text += "resid_serve_prefix_replays_total \(v.prefixReplays)\n"
        header("resid_serve_duplicate_events_total", "counter", "Interaction events repeating a recent event id of their user: not applied, not predicted.")
        text += "resid_serve_duplicate_events_total \(v.duplicateEvents)\n"
        header("resid_serve_oversized_events_total", "counter", "Input events over serve.maxEventBytes, dead-lettered as a reference.")
        text += "resid_serve_oversized_events_total \(v.oversizedEvents)\n"
        header("resid_serve_redis_outage_waits_total", "counter", "Redis calls that found no server and waited for it with back-off.")
        text += "resid_serve_redis_outage_waits_total \(v.redisOutageWaits)\n"
        header("resid_serve_producer_renewals_total", "counter", "Kafka producers replaced after the cluster lost their idempotence state.")
        text += "resid_serve_producer_renewals_total \(v.producerRenewals)\n"
        header("resid_serve_topic_resets_total", "counter", "Input partitions found re-created or truncated (the group's committed offset is past the log's end); held, not processed.")
        text += "resid_serve_topic_resets_total \(v.topicResets)\n"
        header("resid_serve_commit_failures_total", "counter", "Offset commits that failed.")
        text += "resid_serve_commit_failures_total \(v.commitFailures)\n"
        header("resid_serve_delivery_retries_total", "counter", "Output messages re-sent after a failed delivery.")
        text += "resid_serve_delivery_retries_total \(v.deliveryRetries)\n"
        header("resid_serve_reloads_total", "counter", "Successful configuration reloads (SIGHUP).")
        text += "resid_serve_reloads_total \(v.reloads)\n"
        header("resid_serve_reload_failures_total", "counter", "Configuration reloads that were rejected.")
        text += "resid_serve_reload_failures_total \(v.reloadFailures)\n"
        header("resid_serve_prediction_latency_seconds", "histogram", "Poll of the event to acknowledged prediction, by variant.")
        for key in v.predictionLatency.keys.sorted() {
            v.predictionLatency[key]!.render(name: "resid_serve_prediction_latency_seconds", labels: "variant=\"\(Self.escape(key))\"", into: &text)
        }
        header("resid_serve_decode_seconds", "histogram", "One micro-batch's encoder and beam-search pass, by variant.")
        for key in v.decodeLatency.keys.sorted() {
            v.decodeLatency[key]!.render(name: "resid_serve_decode_seconds", labels: "variant=\"\(Self.escape(key))\"", into: &text)
        }
        header("resid_serve_batch_seconds", "histogram", "One poll batch from poll to offset commit.")
        v.batchLatency.render(name: "resid_serve_batch_seconds", labels: "", into: &text)
        header("resid_serve_ready", "gauge", "1 when the instance can process now (item-SID topic replayed, consumer running, broker and Redis answering).")
        text += "resid_serve_ready \(v.ready ? 1 : 0)\n"
        header("resid_serve_assigned_partitions", "gauge", "Input partitions this instance owns in its consumer group.")
        text += "resid_serve_assigned_partitions \(v.assignedPartitions)\n"
        return text
    }

    /// Escapes a label value (backslash, quote, newline).
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
