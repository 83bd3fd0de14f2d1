import Foundation
public import Logging
import Synchronization

/// The variants being served and the router that picks one per user; replaced as a whole on
/// reload (SIGHUP) so that a poll batch always sees one consistent set.
///
/// Bundles are loaded once per directory and kept: a variant removed and added back, or two
/// variants of one bundle, share a catalogue, and a catalogue keeps learning online items.
public final class VariantSet: Sendable {
    /// One served variant.
    public struct Variant: Sendable {
        /// Its configuration.
        public let spec: VariantSpec
        /// The bundle's live catalogue.
        public let catalog: ServingCatalog
        /// The bundle's decoder.
        public let decoder: VariantDecoder
        /// The bundle id.
        public var bundleID: String { catalog.bundle.id }
    }

    /// The set in force.
    public struct Current: Sendable {
        /// The router over ``variants``.
        public let router: VariantRouter
        /// Variants in configuration order (router index = position).
        public let variants: [Variant]
        /// Every catalogue of the served bundles, once each.
        public var catalogs: [ServingCatalog] {
            var seen: Set<String> = []
            return variants.compactMap { seen.insert($0.bundleID).inserted ? $0.catalog : nil }
        }
    }

    private struct Loaded: Sendable {
        var catalog: ServingCatalog
        var decoder: VariantDecoder
    }

    private let current: Mutex<Current>
    private let loaded: Mutex<[String: Loaded]>
    private let beamWidth: Int
    private let verify: Bool
    private let logger: Logger
    /// Called with each catalogue the first time its bundle is loaded (the item-SID follower
    /// replays what it has seen for that bundle).
    private let onNewCatalog: Mutex<(@Sendable (ServingCatalog) -> Void)?>

    /// Loads every variant's bundle.
    ///
    /// - Throws: ``ServeError`` for a bundle that cannot be served or a bad variant list.
    public init(
        variants: [VariantSpec], salt: String, beamWidth: Int, verifyBundles: Bool = true, logger: Logger
    ) throws {
        self.beamWidth = beamWidth
        verify = verifyBundles
        self.logger = logger
        loaded = Mutex([:])
        onNewCatalog = Mutex(nil)
        current = Mutex(Current(router: try VariantRouter(variants: variants, salt: salt), variants: []))
        try apply(variants: variants, salt: salt)
    }

    /// The set in force.
    public func snapshot() -> Current { current.withLock { $0 } }

    /// Registers the hook called for each newly loaded catalogue, and calls it for the loaded ones.
    public func onCatalogLoaded(_ hook: @escaping @Sendable (ServingCatalog) -> Void) {
        onNewCatalog.withLock { $0 = hook }
        for entry in loaded.withLock({ Array($0.values) }) { hook(entry.catalog) }
    }

    /// Every catalogue ever loaded (the item-SID follower feeds them all).
    public var allCatalogs: [ServingCatalog] { loaded.withLock { $0.values.map(\.catalog) } }

    /// Replaces the variants and salt. New bundle directories are loaded first (outside the
    /// lock, so serving continues meanwhile); the switch itself is one assignment.
    ///
    /// - Throws: ``ServeError``; on error the previous set stays in force.
    public func apply(variants: [VariantSpec], salt: String) throws {
        try VariantSpec.validate(variants)
        let router = try VariantRouter(variants: variants, salt: salt)
        var built: [Variant] = []
        for spec in variants {
            let path = URL(fileURLWithPath: spec.path).standardizedFileURL.path
            let entry: Loaded
            if let existing = loaded.withLock({ $0[path] }) {
                entry = existing
            } else {
                logger.info(
                    "loading bundle", metadata: ["serve.variant": "\(spec.name)", "serve.bundle.path": "\(path)"])
                let bundle = try ServingBundle(directory: URL(fileURLWithPath: path), verify: verify)
                let catalog = try ServingCatalog(bundle: bundle)
                entry = Loaded(catalog: catalog, decoder: VariantDecoder(bundle: bundle, beamWidth: beamWidth))
                loaded.withLock { $0[path] = entry }
                onNewCatalog.withLock { $0 }?(catalog)
                logger.info(
                    "bundle loaded",
                    metadata: [
                        "serve.bundle": "\(bundle.id)", "serve.bundle.items": "\(bundle.keys.count)",
                        "serve.bundle.synthetic": "\(bundle.isSynthetic)",
                        "serve.bundle.level3_room": "\(bundle.level3Room)",
                    ])
                if bundle.level3Room == 0 {
                    logger.warning(
                        "bundle has no free level-3 codes: new items in full groups take overflow codes the generator never trained on; rebuild it with `resid pipeline` to leave room",
                        metadata: ["serve.bundle": "\(bundle.id)"])
                }
            }
            built.append(Variant(spec: spec, catalog: entry.catalog, decoder: entry.decoder))
        }
        current.withLock { $0 = Current(router: router, variants: built) }
    }
}
