public import Configuration
import Foundation
import Kafka

/// Every check of the `serve` section that needs no network: the one `resid config check` and
/// `resid serve` both run, so a configuration the check passes is one the daemon starts with.
///
/// Beyond the typed reads of ``ServeConfiguration`` (ranges, `beamWidth >= topK`, shares that
/// are numbers with a positive sum, distinct topic names), it checks the files: the topic list
/// must load and hold a schema for each consumed topic, and each variant's bundle directory must
/// hold a manifest.
public enum ServePreflight {
    /// The schema topics the daemon validates against (the topic list's own names).
    public static let schemaTopics = ["resid.items.v1", "resid.interactions.v1", "resid.item-sids.v1"]

    /// Reads and checks the `serve` section.
    ///
    /// - Parameter requireVariants: false when checking a configuration that may not be used
    ///   for serving (`resid config check` without `serve.variants`).
    /// - Returns: the settings and the topic list's validator.
    /// - Throws: ``ServeError`` `.invalidConfiguration` or `.invalidBundle` naming the key and
    ///   the fix.
    public static func check(
        config: ConfigReader, requireVariants: Bool = true
    ) throws(ServeError)
        -> (settings: ServeConfiguration, validator: TopicSchemaValidator)
    {
        let settings = try ServeConfiguration(config: config, requireVariants: requireVariants)
        let validator = try validator(topicList: settings.topicList)
        for variant in settings.variants {
            let manifest = URL(fileURLWithPath: variant.path).appendingPathComponent("manifest.json").path
            guard FileManager.default.fileExists(atPath: manifest) else {
                throw ServeError(
                    .invalidBundle,
                    "serve.variants: variant `\(variant.name)` names bundle `\(variant.path)`, which has no manifest.json; "
                        + "give the directory `resid pipeline` wrote")
            }
        }
        return (settings, validator)
    }

    /// Loads the topic list's schemas and checks that each consumed topic has one.
    static func validator(topicList path: String) throws(ServeError) -> TopicSchemaValidator {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ServeError(
                .invalidConfiguration, "serve.topicList: `\(path)` does not exist; give the path of Topics/topics.json")
        }
        let validator: TopicSchemaValidator
        do {
            validator = try TopicSchemaValidator(topicList: URL(fileURLWithPath: path))
        } catch {
            throw ServeError(.invalidConfiguration, "serve.topicList: `\(path)`: \(error)")
        }
        let missing = schemaTopics.filter { !validator.topics.contains($0) }
        guard missing.isEmpty else {
            throw ServeError(
                .invalidConfiguration,
                "serve.topicList: `\(path)` has no schema for \(missing.joined(separator: ", ")); use the repository's Topics/topics.json"
            )
        }
        return validator
    }
}
