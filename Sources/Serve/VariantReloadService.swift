public import Logging
public import ServiceLifecycle
import UnixSignals

/// Reloads the variants and the A/B salt on SIGHUP, without stopping the event loop: the new
/// bundles (if any) load while the old set keeps serving, then the set is swapped between two
/// poll batches. A bad reload is logged and counted, and the old set stays in force.
public final class VariantReloadService: Service, Sendable {
    /// Reads the variants and salt again (for example from the configuration file).
    public typealias Source = @Sendable () async throws -> (variants: [VariantSpec], salt: String)

    private let variants: VariantSet
    private let source: Source
    private let metrics: ServeMetrics
    private let logger: Logger
    private let loading = BlockingQueue(label: "resid.serve.reload")

    /// Creates the service.
    public init(variants: VariantSet, metrics: ServeMetrics, logger: Logger, source: @escaping Source) {
        self.variants = variants
        self.source = source
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                await self.reload()
            }
        }
    }

    /// Reloads once (what SIGHUP does).
    public func reload() async {
        do {
            let (specs, salt) = try await source()
            // Loading a new bundle reads and hashes its files: off the cooperative pool.
            let variants = self.variants
            try await loading.run { try variants.apply(variants: specs, salt: salt) }
            metrics.count(.reloads)
            logger.info(
                "variants reloaded",
                metadata: ["serve.variants": "\(specs.map(\.description))", "serve.salt.changed": "\(salt)"])
        } catch {
            metrics.count(.reloadFailures)
            logger.error("reload rejected; the previous variants stay in force", metadata: ["error": "\(error)"])
        }
    }
}
