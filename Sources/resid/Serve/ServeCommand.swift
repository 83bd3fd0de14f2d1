import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Kafka
import Logging
import ReSIDTestKit
import Redis
import Serve
import ServiceLifecycle

/// `resid serve`: the streaming daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the streaming daemon: item SIDs, user prefixes, generative predictions, A/B variants.",
        discussion: """
            Consumes item and interaction events, assigns SIDs to new items (atomically in Redis), \
            keeps user prefixes in Redis, and publishes next-item predictions from the bundles \
            listed in serve.variants (name:share:path). SIGTERM/SIGINT drain and commit before \
            exit; SIGHUP re-reads the configuration's variants and salt. HTTP: /metrics, \
            /health/live, /health/ready, /admin/variants on serve.httpPort.
            """
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var blas: BLASThreadOptions

    @Option(help: "Write {\"pid\", \"http_port\"} as JSON to this file once the HTTP port is bound (for supervisors and tests).")
    var statusFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(help: "Skip the SHA-256 check of bundle files at start-up (faster for big bundles you trust).")
    var skipBundleVerification = false

    @Flag(help: "Rewrite SID claims that Redis lost (restart without AOF, wiped namespace) from the item-SID topic instead of refusing to start.")
    var restoreClaims = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level `\(logLevel)` is not a level; use trace, debug, info, notice, warning, error or critical")
        }
        try blas.apply()
        Self.limitMallocRetention()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let loaded = try await config.load()
        let (settings, validator) = try ServePreflight.check(config: loaded.reader)
        var logger = Logger(label: "resid.serve")
        logger[metadataKey: "serve.instance"] = "\(settings.instanceID)"

        // Embedded servers for `kafka.bootstrap: embedded` / `redis.url: embedded`.
        var kafka = loaded.kafka
        var broker: KafkaEmbeddedBroker?
        if kafka.bootstrap == .embedded {
            let started = try await KafkaEmbeddedBroker(
                executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                topicList: URL(fileURLWithPath: settings.topicList), logger: logger)
            broker = started
            kafka.resolveBootstrap(started.bootstrapServers)
        }
        var redis = loaded.redis
        var redisServer: RedisServer?
        if redis.endpoint == .embedded {
            let started = try await RedisServer.start()
            redisServer = started
            let namespace = redis.namespace
            redis = started.configuration(namespace: namespace)
        }
        defer { redisServer?.stop() }

        let metrics = ServeMetrics()
        let health = ServeHealth()
        let variants = try VariantSet(
            variants: settings.variants, salt: settings.salt, beamWidth: settings.beamWidth,
            verifyBundles: !skipBundleVerification, logger: logger)
        let pool = RedisConnectionPool(configuration: redis, logger: logger)
        try await pool.connectAll()
        let producer = try RenewableProducer(configuration: kafka.producer, logger: logger)
        let statusFile = statusFile
        let http = ServeHTTPService(
            host: settings.httpHost, port: settings.httpPort, metrics: metrics, health: health, variants: variants,
            logger: logger
        ) { [logger] port in
            logger.info("http listening", metadata: ["serve.http.port": "\(port)"])
            guard let statusFile else { return }
            let status = "{\"pid\":\(getpid()),\"http_port\":\(port)}\n"
            do {
                try Data(status.utf8).write(to: URL(fileURLWithPath: statusFile), options: .atomic)
            } catch {
                logger.error("cannot write the status file", metadata: ["error": "\(error)"])
            }
        }
        let follower = ItemSIDFollower(
            consumer: kafka.consumer, topic: settings.topics.itemSIDs, variants: variants, validator: validator,
            metrics: metrics, health: health, instanceID: settings.instanceID, logger: logger)
        let daemon = ServeDaemon(
            configuration: settings, consumer: kafka.consumer, producer: producer, pool: pool, validator: validator,
            variants: variants, metrics: metrics, health: health, restoreClaims: restoreClaims, logger: logger)
        let probe = DependencyProbe(producer: producer, pool: pool, topics: settings.topics, health: health, logger: logger)
        let options = config
        let reload = VariantReloadService(variants: variants, metrics: metrics, logger: logger) {
            let again = try await options.load()
            let fresh = try ServePreflight.check(config: again.reader).settings
            return (fresh.variants, fresh.salt)
        }

        func entry(_ service: any Service, _ name: String) -> ServiceGroupConfiguration.ServiceConfiguration {
            ServiceGroupConfiguration.ServiceConfiguration(
                service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        // Shut down in reverse: stop reloading, drain the event loop, stop following, HTTP last.
        var group = ServiceGroupConfiguration(
            services: [
                entry(http, "http"), entry(probe, "probe"), entry(follower, "item-sids"), entry(daemon, "events"), entry(reload, "reload"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(60)
        var failure: (any Error)?
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            failure = error
        }
        try? await producer.shutdown(timeout: .seconds(10))
        await pool.close()
        await broker?.stop()
        logger.info("stopped")
        if let failure { throw failure }
    }

    /// A decode pass allocates and frees tensors of several megabytes from several threads.
    /// glibc's defaults (a dynamic mmap threshold that rises to 32 MiB, up to 8 arenas per core)
    /// keep those freed blocks in per-thread arenas, so a long-running daemon's RSS grows to a
    /// multiple of what it uses. A fixed 1 MiB mmap threshold returns large blocks to the system
    /// on free, and two arenas bound the rest.
    static func limitMallocRetention() {
        // <malloc.h> is not part of the Glibc module; the constants are glibc's ABI.
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        let arenaMax: Int32 = -8  // M_ARENA_MAX
        _ = glibcMallopt(mmapThreshold, 1 << 20)
        _ = glibcMallopt(arenaMax, 2)
    }
}

/// glibc's `int mallopt(int param, int value)`.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
