public import Configuration
import Foundation

/// The `serve:` section: what `resid serve` serves and how.
///
/// Keys (all optional but `serve.variants`; defaults in parentheses):
/// - `serve.variants` (list of `name:share:path`): the bundles served side by side as A/B
///   variants, with their relative traffic shares. Re-read on SIGHUP.
/// - `serve.salt` (`resid-ab-1`): salt of the stable user hash that picks a variant. Re-read on
///   SIGHUP; changing it reshuffles users between variants.
/// - `serve.topK` (10, 1...1000): items per prediction.
/// - `serve.beamWidth` (20, 1...512): beams per user in the constrained search (>= topK).
/// - `serve.excludeHistory` (true): never recommend an item of the user's stored prefix (a
///   film the user has just rated); false lets the generator's best items stand as they are.
/// - `serve.newItemUptakeWeight` (2, 0...64): how far an item that took its SID online is lifted
///   or lowered by its live uptake (its applied interactions against the other online items';
///   see ``VariantDecoder``); 0 ranks online items by the generator alone.
/// - `serve.microBatchSize` (64, 1...4096): most users decoded together in one encoder and
///   beam-search pass.
/// - `serve.httpHost` (`127.0.0.1`), `serve.httpPort` (9464; 0 picks a free port).
/// - `serve.topicList` (`Topics/topics.json`): topic list whose schemas validate events.
/// - `serve.topics.items`, `.interactions`, `.predictions`, `.itemSids`, `.deadLetter`: topic
///   names (the repository's `resid.*.v1` names).
/// - `serve.maxEventBytes` (262144, 1024...524288): the largest input event (key plus value)
///   processed; a larger one is dead-lettered as a reference before it is parsed. The bound
///   keeps a dead letter carrying a whole accepted event (base64: 4/3 of its size) under
///   librdkafka's default `message.max.bytes` of 1,000,000.
/// - `serve.instanceId` (host name and process id): names this instance in logs, metrics and its
///   private item-SID follower group.
public struct ServeConfiguration: Sendable {
    /// The variants; see ``VariantSpec``.
    public var variants: [VariantSpec]
    /// Salt of the A/B hash.
    public var salt = "resid-ab-1"
    /// Items per prediction.
    public var topK = 10
    /// Beams per user.
    public var beamWidth = 20
    /// Leave the items of each user's prefix out of the predictions.
    public var excludeHistory = true
    /// Weight of online items' live uptake in their scores (0: the generator alone).
    public var newItemUptakeWeight = 2.0
    /// Most users per decode pass.
    public var microBatchSize = 64
    /// HTTP listen address.
    public var httpHost = "127.0.0.1"
    /// HTTP port (0: any free port).
    public var httpPort = 9464
    /// The topic list whose schemas validate events.
    public var topicList = "Topics/topics.json"
    /// Topic names.
    public var topics = ServeTopics()
    /// This instance's name.
    public var instanceID = ServeConfiguration.defaultInstanceID()
    /// The largest input event processed (key plus value bytes).
    public var maxEventBytes = 262_144

    /// Every key this type reads (for the configuration schema).
    public static let keys = [
        "serve.variants", "serve.salt", "serve.topK", "serve.beamWidth", "serve.excludeHistory",
        "serve.newItemUptakeWeight",
        "serve.microBatchSize",
        "serve.httpHost", "serve.httpPort", "serve.topicList", "serve.topics.items", "serve.topics.interactions",
        "serve.topics.predictions", "serve.topics.itemSids", "serve.topics.deadLetter", "serve.instanceId",
        "serve.maxEventBytes",
    ]
    /// Keys that take a list.
    public static let listKeys: Set<String> = ["serve.variants"]

    /// A configuration with the given variants and defaults for the rest.
    public init(variants: [VariantSpec]) {
        self.variants = variants
    }

    /// Reads the `serve.*` keys.
    ///
    /// - Parameter requireVariants: false accepts an empty `serve.variants` (for checking a
    ///   configuration that other commands use; `resid serve` needs variants).
    /// - Throws: ``ServeError`` `.invalidConfiguration` naming the key whose value is missing,
    ///   of the wrong type or out of range.
    public init(config: ConfigReader, requireVariants: Bool = true) throws(ServeError) {
        let read = ServeConfigReader(config: config)
        let entries = read.stringList("serve.variants") ?? []
        var variants: [VariantSpec] = []
        for entry in entries { variants.append(try VariantSpec.parse(entry)) }
        if requireVariants || !variants.isEmpty { try VariantSpec.validate(variants) }
        self.variants = variants
        salt = read.string("serve.salt") ?? salt
        topK = try read.int("serve.topK", in: 1...1000) ?? topK
        beamWidth = try read.int("serve.beamWidth", in: 1...512) ?? beamWidth
        excludeHistory = try read.bool("serve.excludeHistory") ?? excludeHistory
        newItemUptakeWeight = try read.double("serve.newItemUptakeWeight", in: 0...64) ?? newItemUptakeWeight
        microBatchSize = try read.int("serve.microBatchSize", in: 1...4096) ?? microBatchSize
        httpHost = read.string("serve.httpHost") ?? httpHost
        httpPort = try read.int("serve.httpPort", in: 0...65535) ?? httpPort
        topicList = read.string("serve.topicList") ?? topicList
        topics.items = read.string("serve.topics.items") ?? topics.items
        topics.interactions = read.string("serve.topics.interactions") ?? topics.interactions
        topics.predictions = read.string("serve.topics.predictions") ?? topics.predictions
        topics.itemSIDs = read.string("serve.topics.itemSids") ?? topics.itemSIDs
        topics.deadLetter = read.string("serve.topics.deadLetter") ?? topics.deadLetter
        instanceID = read.string("serve.instanceId") ?? instanceID
        maxEventBytes = try read.int("serve.maxEventBytes", in: 1024...524_288) ?? maxEventBytes
        try validate(requireVariants: requireVariants)
    }

    /// Checks relations between settings.
    ///
    /// - Throws: ``ServeError`` `.invalidConfiguration`.
    public func validate(requireVariants: Bool = true) throws(ServeError) {
        if requireVariants || !variants.isEmpty { try VariantSpec.validate(variants) }
        guard beamWidth >= topK else {
            throw ServeError(
                .invalidConfiguration,
                "serve.beamWidth (\(beamWidth)) is below serve.topK (\(topK)); raise beamWidth or lower topK")
        }
        let names = [topics.items, topics.interactions, topics.predictions, topics.itemSIDs, topics.deadLetter]
        guard !names.contains(where: \.isEmpty), Set(names).count == names.count else {
            throw ServeError(
                .invalidConfiguration, "serve.topics.*: topic names must be non-empty and distinct, got \(names)")
        }
        guard !instanceID.isEmpty else {
            throw ServeError(.invalidConfiguration, "serve.instanceId must not be empty")
        }
    }

    /// `host-pid`.
    public static func defaultInstanceID() -> String {
        "\(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "resid")-\(getpid())"
    }
}

/// Typed reads that fail naming the key when a value is present but has the wrong type.
struct ServeConfigReader {
    let config: ConfigReader

    func string(_ key: String) -> String? {
        config.string(forKey: ConfigKey(key))
    }

    func stringList(_ key: String) -> [String]? {
        if let list = config.stringArray(forKey: ConfigKey(key)) { return list }
        // A single string (environment variable or flag): comma-separated.
        return config.string(forKey: ConfigKey(key)).map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    func bool(_ key: String) throws(ServeError) -> Bool? {
        guard let value = config.bool(forKey: ConfigKey(key)) else {
            if let raw = config.string(forKey: ConfigKey(key)) {
                throw ServeError(.invalidConfiguration, "\(key): expected true or false, found `\(raw)`; fix the value")
            }
            return nil
        }
        return value
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws(ServeError) -> Double? {
        guard let value = config.double(forKey: ConfigKey(key)) else {
            if let raw = config.string(forKey: ConfigKey(key)) {
                throw ServeError(.invalidConfiguration, "\(key): expected a number, found `\(raw)`; fix the value")
            }
            return nil
        }
        guard range.contains(value), value.isFinite else {
            throw ServeError(
                .invalidConfiguration,
                "\(key): \(value) is outside \(range.lowerBound)...\(range.upperBound); set a value in that range")
        }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ServeError) -> Int? {
        guard let value = config.int(forKey: ConfigKey(key)) else {
            if let raw = config.string(forKey: ConfigKey(key)) {
                throw ServeError(.invalidConfiguration, "\(key): expected an integer, found `\(raw)`; fix the value")
            }
            return nil
        }
        guard range.contains(value) else {
            throw ServeError(
                .invalidConfiguration,
                "\(key): \(value) is outside \(range.lowerBound)...\(range.upperBound); set a value in that range")
        }
        return value
    }
}
