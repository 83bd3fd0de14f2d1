import Foundation
import ServiceLifecycle

/// The daemon's HTTP endpoints as a service: `/metrics`, `/health/live`, `/health/ready`,
/// `/admin/variants`.
public final class ServeHTTPService: Service, Sendable {
    private let server: HTTPServer

    /// The bound port.
    public var port: Int { server.port }

    /// Binds the listener now (so a taken port fails at start-up).
    ///
    /// - Throws: ``ServeError`` `.http`.
    public init(host: String, port: Int, metrics: ServeMetrics, health: ServeHealth, variants: VariantSet) throws {
        server = try HTTPServer(host: host, port: port) { head in
            Self.route(head, metrics: metrics, health: health, variants: variants)
        }
    }

    public func run() async throws {
        server.start()
        try? await gracefulShutdown()
        server.stop()
    }

    /// Answers one request.
    static func route(_ head: HTTPRequestHead, metrics: ServeMetrics, health: ServeHealth, variants: VariantSet) -> HTTPResponse {
        switch head.path {
        case "/metrics":
            let (ready, partitions) = (health.isReady, health.assignedPartitions.count)
            metrics.update { values in
                values.ready = ready
                values.assignedPartitions = partitions
            }
            return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
        case "/health/live":
            return health.isLive
                ? HTTPResponse(status: 200, body: "live\n")
                : HTTPResponse(status: 503, body: "not live: \(health.failure ?? "")\n")
        case "/health/ready":
            return health.isReady ? HTTPResponse(status: 200, body: "ready\n") : HTTPResponse(status: 503, body: "not ready\n")
        case "/admin/variants":
            return HTTPResponse(status: 200, contentType: "application/json", body: variantsJSON(variants.snapshot()))
        default:
            return HTTPResponse(status: 404, body: "not found; try /metrics, /health/live, /health/ready, /admin/variants\n")
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
