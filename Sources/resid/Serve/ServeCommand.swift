import ArgumentParser
import Foundation
import Kafka
import LocalServers
import Logging
import Redis
import Serve
import Tensor

/// `resid serve`: the streaming daemon.
struct ServeCommand: AsyncParsableCommand, ChoosesFreedMemoryPolicy {
    /// A daemon's RSS should follow what it uses, not its peak (see the policy).
    static let freedMemoryPolicy = FreedMemoryPolicy.returnToSystem

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

    @Option(
        help:
            "Write {\"pid\", \"http_port\"} as JSON to this file once the HTTP port is bound (for supervisors and tests)."
    )
    var statusFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(help: "Skip the SHA-256 check of bundle files at start-up (faster for big bundles you trust).")
    var skipBundleVerification = false

    @Flag(
        help:
            "Rewrite SID claims that Redis lost (restart without AOF, wiped namespace) from the item-SID topic instead of refusing to start."
    )
    var restoreClaims = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError(
                "--log-level `\(logLevel)` is not a level; use trace, debug, info, notice, warning, error or critical")
        }
        try blas.apply()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var loaded = try await config.load()
        let logger = Logger(label: "resid.serve")

        // Embedded servers for `kafka.bootstrap: embedded` / `redis.url: embedded`.
        var broker: EmbeddedBroker?
        var redisServer: RedisServer?
        if loaded.kafka.bootstrap == .embedded || loaded.redis.endpoint == .embedded {
            // The same check the application runs, before anything is started.
            let settings = try ServePreflight.check(config: loaded.reader).settings
            if loaded.kafka.bootstrap == .embedded {
                let started = try await EmbeddedBroker(
                    topicList: URL(fileURLWithPath: settings.topicList), logger: logger)
                broker = started
                loaded.kafka.resolveBootstrap(started.bootstrapServers)
            }
            if loaded.redis.endpoint == .embedded {
                let started = try await RedisServer.start()
                redisServer = started
                loaded.redis = started.configuration(namespace: loaded.redis.namespace)
            }
        }

        var options = ServeOptions()
        options.verifyBundles = !skipBundleVerification
        options.restoreClaims = restoreClaims
        options.statusFile = statusFile.map { URL(fileURLWithPath: $0) }
        let source = config
        let result: Result<Void, any Error>
        do {
            let application = try await ServeApplication(configuration: loaded, options: options, logger: logger) {
                try await source.load()
            }
            try await application.run()
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await broker?.stop()
        await redisServer?.stop()
        try result.get()
    }
}
