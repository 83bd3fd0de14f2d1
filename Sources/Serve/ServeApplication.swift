import Foundation
public import Logging
import Redis
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
import Kafka
#endif

/// The whole daemon of `resid serve`, built from a loaded configuration: the HTTP endpoints,
/// the dependency probe, the item-SID follower, the event loop and the SIGHUP reload, in one
/// service group that drains and shuts down together.
///
/// `resid serve` runs one per process; the tests run several in one process against real
/// servers, so what they check is exactly what the binary runs. The caller owns process-wide
/// setup (logging bootstrap, BLAS threads, allocator policy) and any embedded servers, whose
/// addresses must be resolved in the configuration before this is built.
public final class ServeApplication: Sendable {
    /// Reads the configuration again, for a SIGHUP reload of the variants and the salt.
    public typealias Reload = @Sendable () async throws -> ResidConfiguration

    /// The checked `serve` section in force.
    public let settings: ServeConfiguration
    /// The served variants (swapped by a reload).
    public let variants: VariantSet
    /// Counters and gauges behind `/metrics`.
    public let metrics: ServeMetrics
    /// Liveness and readiness behind `/health/*`.
    public let health: ServeHealth
    /// The HTTP endpoints (its bound port once it listens).
    public let http: ServeHTTPService
    /// The producer of predictions, item SIDs and dead letters.
    public let producer: RenewableProducer
    /// Re-reads the variants on SIGHUP; ``VariantReloadService/reload()`` does it directly.
    public let reload: VariantReloadService

    private let pool: RedisConnectionPool
    private let group: ServiceGroup
    private let logger: Logger

    /// Checks the configuration (``ServePreflight``), loads the variants' bundles, connects the
    /// Redis pool and prepares every service; nothing consumes until ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: the loaded configuration, with no `embedded` endpoint left.
    ///   - options: start-up choices of the command line.
    ///   - logger: the daemon's logger; the instance id is added to its metadata.
    ///   - reload: reads the configuration again on SIGHUP.
    /// - Throws: ``ServeError`` for a configuration or bundle that cannot be served, or the
    ///   first connection error.
    public init(
        configuration: ResidConfiguration, options: ServeOptions = ServeOptions(), logger: Logger,
        reload: @escaping Reload
    ) async throws {
        let (settings, validator) = try ServePreflight.check(config: configuration.reader)
        var logger = logger
        logger[metadataKey: "serve.instance"] = "\(settings.instanceID)"
        let kafka = configuration.kafka
        let metrics = ServeMetrics()
        let health = ServeHealth()
        let variants = try VariantSet(
            variants: settings.variants, salt: settings.salt, beamWidth: settings.beamWidth,
            verifyBundles: options.verifyBundles, logger: logger)
        let pool = RedisConnectionPool(configuration: configuration.redis, logger: logger)
        try await pool.connectAll()
        let producer = try RenewableProducer(configuration: kafka.producer, logger: logger)
        let http = ServeHTTPService(
            host: settings.httpHost, port: settings.httpPort, metrics: metrics, health: health, variants: variants,
            logger: logger
        ) { [logger, statusFile = options.statusFile] port in
            logger.info("http listening", metadata: ["serve.http.port": "\(port)"])
            if let statusFile { Self.writeStatus(port: port, to: statusFile, logger: logger) }
        }
        let follower = ItemSIDFollower(
            consumer: kafka.consumer, topic: settings.topics.itemSIDs, variants: variants, validator: validator,
            metrics: metrics, health: health, instanceID: settings.instanceID, logger: logger)
        let daemon = ServeDaemon(
            configuration: settings, consumer: kafka.consumer, producer: producer, pool: pool, validator: validator,
            variants: variants, metrics: metrics, health: health, restoreClaims: options.restoreClaims, logger: logger)
        let probe = DependencyProbe(
            producer: producer, pool: pool, topics: settings.topics, health: health, logger: logger)
        let reloader = VariantReloadService(variants: variants, metrics: metrics, logger: logger) {
            let fresh = try ServePreflight.check(config: try await reload().reader).settings
            return (fresh.variants, fresh.salt)
        }

        // Shut down in reverse: stop reloading, drain the event loop, stop following, HTTP last.
        let services: [any Service] = [http, probe, follower, daemon, reloader]
        var group = ServiceGroupConfiguration(
            services: services.map {
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: options.shutdownSignals, logger: logger)
        group.maximumGracefulShutdownDuration = options.maximumShutdownDuration

        self.settings = settings
        self.variants = variants
        self.metrics = metrics
        self.health = health
        self.http = http
        self.producer = producer
        self.reload = reloader
        self.pool = pool
        self.group = ServiceGroup(configuration: group)
        self.logger = logger
    }

    /// Runs every service until a shutdown signal, ``shutdown()`` or a service's end, then
    /// flushes the producer and closes the Redis pool. Call once.
    ///
    /// - Throws: the error that ended the group, after the clean-up.
    public func run() async throws {
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        try? await producer.shutdown(timeout: .seconds(10))
        await pool.close()
        logger.info("stopped")
        if let failure { throw failure }
    }

    /// Starts a graceful shutdown, as SIGTERM does: the batch in progress is drained and
    /// committed, and ``run()`` returns once everything has stopped.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// Writes `{"pid", "http_port"}` atomically, so a supervisor never reads half a file.
    private static func writeStatus(port: Int, to file: URL, logger: Logger) {
        let status = "{\"pid\":\(getpid()),\"http_port\":\(port)}\n"
        do {
            try Data(status.utf8).write(to: file, options: .atomic)
        } catch {
            logger.error("cannot write the status file", metadata: ["error": "\(error)"])
        }
    }
}
