import Tensor

/// What the daemon's HTTP endpoints answer, apart from any server: `/metrics`,
/// `/health/live`, `/health/ready`, `/admin/variants`. Every answer is computed from in-memory
/// state under short locks, so a probe never waits on Kafka or Redis.
public struct ServeEndpoints: Sendable {
    /// One answer.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String

        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// The paths served.
    public static let paths = ["/metrics", "/health/live", "/health/ready", "/admin/variants"]

    let metrics: ServeMetrics
    let health: ServeHealth
    let variants: VariantSet

    /// Creates the endpoints over the daemon's state.
    public init(metrics: ServeMetrics, health: ServeHealth, variants: VariantSet) {
        self.metrics = metrics
        self.health = health
        self.variants = variants
    }

    /// Answers a GET of `path`.
    public func answer(path: String) -> Answer {
        switch path {
        case "/metrics":
            metrics.set(.ready, to: health.isReady ? 1 : 0)
            metrics.set(.assignedPartitions, to: Double(health.assignedPartitions.count))
            let heap = HeapStatistics.current()
            metrics.set(.heapBytes, to: Double(heap.inUseBytes), "in_use")
            metrics.set(.heapBytes, to: Double(heap.retainedFreeBytes), "free")
            return Answer(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
        case "/health/live":
            return health.isLive
                ? Answer(status: 200, body: "live\n") : Answer(status: 503, body: "not live: \(health.failure ?? "")\n")
        case "/health/ready":
            let reasons = health.notReadyReasons
            return reasons.isEmpty
                ? Answer(status: 200, body: "ready\n")
                : Answer(status: 503, body: "not ready: \(reasons.joined(separator: "; "))\n")
        case "/admin/variants":
            return Answer(status: 200, contentType: "application/json", body: Self.variantsJSON(variants.snapshot()))
        default:
            return Answer(status: 404, body: "not found; try \(Self.paths.joined(separator: ", "))\n")
        }
    }

    static func variantsJSON(_ current: VariantSet.Current) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.field("salt", current.router.salt)
        json.key("variants")
        json.beginArray()
        var lower = 0.0
        for (variant, bound) in zip(current.variants, current.router.bounds) {
            json.beginObject()
            json.field("name", variant.spec.name)
            json.field("bundle_id", variant.bundleID)
            json.field("path", variant.spec.path)
            json.key("share")
            json.number(bound - lower)
            json.field("catalog_items", variant.catalog.count)
            json.field("online_items", variant.catalog.onlineCount)
            json.key("synthetic")
            json.bool(variant.catalog.bundle.isSynthetic)
            json.endObject()
            lower = bound
        }
        json.endArray()
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
