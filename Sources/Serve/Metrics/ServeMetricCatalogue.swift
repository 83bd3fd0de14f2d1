/// Every metric `resid serve` exports: its Prometheus name, label names and help text. The names
/// are an interface (dashboards and alerts in `Deploy/` use them), so they live in one place.
///
/// Label values come from configuration and the bundles (topics, variants, bundle ids, catalogue
/// fields), never from event contents, so each family has a bounded number of series. A metric
/// without labels is a single series, exported (at 0) from start-up.
public struct ServeMetric<Kind>: Sendable {
    public let name: String
    /// The labels of each series, in the order callers give their values.
    public let labels: [String]
    public let help: String

    init(_ name: String, _ labels: [String] = [], _ help: String) {
        self.name = name
        self.labels = labels
        self.help = help
    }
}

/// A monotonic count.
public enum CounterMetric {}
/// A value that goes up and down.
public enum GaugeMetric {}
/// A latency distribution in seconds, over ``ServeMetric/latencyBuckets``.
public enum HistogramMetric {}

extension ServeMetric where Kind == CounterMetric {
    public static var events: ServeMetric {
        ServeMetric("resid_serve_events_total", ["topic", "outcome"], "Input events by topic and outcome.")
    }
    public static var predictions: ServeMetric {
        ServeMetric("resid_serve_predictions_total", ["variant"], "Predictions produced, by variant.")
    }
    public static var deadLetters: ServeMetric {
        ServeMetric(
            "resid_serve_dead_letters_total", ["topic"], "Events sent to the dead-letter topic, by source topic.")
    }
    public static var beams: ServeMetric {
        ServeMetric("resid_serve_beams_total", ["variant"], "Beams returned by the constrained search, by variant.")
    }
    public static var invalidBeams: ServeMetric {
        ServeMetric("resid_serve_invalid_beams_total", ["variant"], "Beams that decoded to no item, by variant.")
    }
    public static var newSIDs: ServeMetric {
        ServeMetric("resid_serve_new_sids_total", ["bundle"], "SIDs assigned to new items by this instance, by bundle.")
    }
    public static var overflowSIDs: ServeMetric {
        ServeMetric(
            "resid_serve_overflow_sids_total", ["bundle"],
            "New SIDs on an overflow level-3 code (their group had no free trained code), by bundle.")
    }
    public static var spilledSIDs: ServeMetric {
        ServeMetric(
            "resid_serve_spilled_sids_total", ["bundle"],
            "New SIDs on a free trained level-3 code of a sibling group (the item's own group was full), by bundle.")
    }
    public static var unknownFieldItems: ServeMetric {
        ServeMetric(
            "resid_serve_unknown_field_items_total", ["field"],
            "New items with values the bundle does not know in a field, by field.")
    }
    public static var prefixReplays: ServeMetric {
        ServeMetric(
            "resid_serve_prefix_replays_total", [], "Interaction events whose prefix update was already applied.")
    }
    public static var duplicateEvents: ServeMetric {
        ServeMetric(
            "resid_serve_duplicate_events_total", [],
            "Interaction events repeating a recent event id of their user: not applied, not predicted.")
    }
    public static var oversizedEvents: ServeMetric {
        ServeMetric(
            "resid_serve_oversized_events_total", [],
            "Input events over serve.maxEventBytes, dead-lettered as a reference.")
    }
    public static var redisOutageWaits: ServeMetric {
        ServeMetric(
            "resid_serve_redis_outage_waits_total", [],
            "Redis calls that found no server and waited for it with back-off.")
    }
    public static var producerRenewals: ServeMetric {
        ServeMetric(
            "resid_serve_producer_renewals_total", [],
            "Kafka producers replaced after the cluster lost their idempotence state.")
    }
    public static var topicResets: ServeMetric {
        ServeMetric(
            "resid_serve_topic_resets_total", [],
            "Input partitions found re-created or truncated (the group's committed offset is past the log's end); held, not processed."
        )
    }
    public static var commitFailures: ServeMetric {
        ServeMetric("resid_serve_commit_failures_total", [], "Offset commits that failed.")
    }
    public static var deliveryRetries: ServeMetric {
        ServeMetric("resid_serve_delivery_retries_total", [], "Output messages re-sent after a failed delivery.")
    }
    public static var reloads: ServeMetric {
        ServeMetric("resid_serve_reloads_total", [], "Successful configuration reloads (SIGHUP).")
    }
    public static var reloadFailures: ServeMetric {
        ServeMetric("resid_serve_reload_failures_total", [], "Configuration reloads that were rejected.")
    }

    public static var counters: [ServeMetric] {
        [
            events, predictions, deadLetters, beams, invalidBeams, newSIDs, overflowSIDs, spilledSIDs,
            unknownFieldItems, prefixReplays, duplicateEvents, oversizedEvents, redisOutageWaits, producerRenewals,
            topicResets, commitFailures, deliveryRetries, reloads, reloadFailures,
        ]
    }
}

extension ServeMetric where Kind == GaugeMetric {
    public static var level3CapacityUsed: ServeMetric {
        ServeMetric("resid_serve_level3_capacity_used_ratio", ["bundle"], "Items over the bundle's b1*b2*g3 SID slots.")
    }
    public static var catalogItems: ServeMetric {
        ServeMetric("resid_serve_catalog_items", ["bundle"], "Items in the live catalogue, by bundle.")
    }
    public static var undecodableItems: ServeMetric {
        ServeMetric(
            "resid_serve_undecodable_items", ["bundle"], "Online items whose SID the bundle's generator cannot emit.")
    }
    public static var consumerLag: ServeMetric {
        ServeMetric(
            "resid_serve_consumer_lag", ["topic"],
            "Messages behind the high watermark on assigned partitions, by topic.")
    }
    public static var ready: ServeMetric {
        ServeMetric(
            "resid_serve_ready", [],
            "1 when the instance can process now (item-SID topic replayed, consumer running, broker and Redis answering)."
        )
    }
    public static var assignedPartitions: ServeMetric {
        ServeMetric("resid_serve_assigned_partitions", [], "Input partitions this instance owns in its consumer group.")
    }

    public static var heapBytes: ServeMetric {
        ServeMetric(
            "resid_serve_heap_bytes", ["state"],
            "The allocator's heap, read at each scrape: in_use (held by the program) and free (freed, kept mapped for reuse). Growth of in_use is a leak; growth of free alone is retention."
        )
    }

    public static var gauges: [ServeMetric] {
        [level3CapacityUsed, catalogItems, undecodableItems, consumerLag, ready, assignedPartitions, heapBytes]
    }
}

extension ServeMetric where Kind == HistogramMetric {
    /// Upper bounds of the buckets (`+Inf` is implicit): from a millisecond, where a warm
    /// micro-batch decodes, to ten seconds, where a batch waits out a Redis outage.
    public static var latencyBuckets: [Duration] {
        [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
            .seconds(10),
        ]
    }

    public static var predictionLatency: ServeMetric {
        ServeMetric(
            "resid_serve_prediction_latency_seconds", ["variant"],
            "Poll of the event to acknowledged prediction, by variant.")
    }
    public static var decode: ServeMetric {
        ServeMetric(
            "resid_serve_decode_seconds", ["variant"], "One micro-batch's encoder and beam-search pass, by variant.")
    }
    public static var batch: ServeMetric {
        ServeMetric("resid_serve_batch_seconds", [], "One poll batch from poll to offset commit.")
    }

    public static var histograms: [ServeMetric] { [predictionLatency, decode, batch] }
}
