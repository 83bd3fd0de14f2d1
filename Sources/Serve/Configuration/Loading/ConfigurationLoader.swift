import Configuration
import Foundation
import Kafka
import Redis
import Yams

/// Builds the configuration from its sources (command line > environment > YAML file >
/// defaults) and validates it before any component sees it.
///
/// Validation, each failing with a ``ConfigurationError`` that names the key and the fix:
/// - the file must be a YAML mapping whose every key is known (``ConfigurationSchema``), with a
///   single value (not a list or mapping) at each setting;
/// - every `RESID_*` environment variable and every forwarded `--flag` must name a known key;
/// - secrets (`redis.password`) only from the environment, never from the file or a flag;
/// - values of the wrong type or out of range (checked by each component's configuration).
public struct ConfigurationLoader: Sendable {
    var schema = ConfigurationSchema.resid

    /// A loader for the keys of the `resid` binary.
    public init() {}

    /// Where the file was found, or why none is used.
    enum FileChoice: Equatable {
        case file(String)
        case none
    }

    /// Picks the file: `explicitPath`, else `$RESID_CONFIG`, else `./Config/resid.yaml` if it
    /// exists, else none (built-in defaults).
    /// - Throws: ``ConfigurationError`` when a named file does not exist.
    func chooseFile(explicitPath: String?, environment: [String: String]) throws(ConfigurationError) -> FileChoice {
        if let path = explicitPath ?? environment[ConfigurationSchema.configFileVariable] {
            let source = explicitPath != nil ? "--config" : ConfigurationSchema.configFileVariable
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigurationError(key: nil, "\(source) names `\(path)`, which does not exist; fix the path")
            }
            return .file(path)
        }
        let conventional = "Config/resid.yaml"
        return FileManager.default.fileExists(atPath: conventional) ? .file(conventional) : .none
    }

    /// Loads and validates the configuration.
    /// - Parameters:
    ///   - explicitPath: `--config`, if given.
    ///   - arguments: Configuration flags from the command line (`--redis-pool-size 8`), without
    ///     the program name.
    ///   - environment: The process environment (only `RESID_*` variables are read).
    public func load(
        explicitPath: String? = nil, arguments: [String] = [], environment: [String: String]
    ) async throws(ConfigurationError) -> ResidConfiguration {
        var providers: [any ConfigProvider] = []
        var sources: [String] = []

        if !arguments.isEmpty {
            try validateArguments(arguments)
            providers.append(CommandLineArgumentsProvider(arguments: ["resid"] + arguments))
            sources.append("command line")
        }

        let variables = environment.filter {
            $0.key.hasPrefix(ConfigurationSchema.environmentPrefix)
                && !ConfigurationSchema.processVariables.contains($0.key)
        }
        try validateEnvironment(variables)
        let secretVariables = Set(schema.secretKeys.map(ConfigurationSchema.environmentName))
        let secrets = SecretsSpecifier<String, String>.dynamic { name, _ in
            secretVariables.contains(name) || name.contains("PASSWORD") || name.contains("SECRET")
        }
        providers.append(
            EnvironmentVariablesProvider(environmentVariables: variables, secretsSpecifier: secrets)
                .prefixKeys(with: "resid"))
        sources.append("environment (RESID_*)")

        if case .file(let path) = try chooseFile(explicitPath: explicitPath, environment: environment) {
            // An empty file (or one of comments only) means the defaults; the YAML provider
            // would refuse it as not a mapping.
            guard try validateFile(at: path) else {
                sources.append("file \(path) (empty: defaults)")
                return try components(
                    reader: ConfigReader(providers: providers), sources: sources + ["built-in defaults"])
            }
            do {
                let location = ConfigReader(
                    provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(path), isSecret: false)]))
                providers.append(try await FileProvider<YAMLSnapshot>(config: location))
            } catch {
                throw ConfigurationError(key: nil, "\(path): \(error)")
            }
            sources.append("file \(path)")
        }
        sources.append("built-in defaults")
        return try components(reader: ConfigReader(providers: providers), sources: sources)
    }

    /// Reads and validates each component's settings from the merged sources.
    private func components(reader: ConfigReader, sources: [String]) throws(ConfigurationError) -> ResidConfiguration {
        let origin = " (sources, highest precedence first: \(sources.joined(separator: ", ")))"
        let redis: RedisConfiguration
        do {
            redis = try RedisConfiguration(config: reader)
        } catch {
            throw ConfigurationError(key: nil, error.message + origin)
        }
        let kafka: KafkaConfiguration
        do {
            kafka = try KafkaConfiguration(config: reader)
        } catch {
            throw ConfigurationError(key: nil, "\(error)" + origin)
        }
        return ResidConfiguration(redis: redis, kafka: kafka, reader: reader, sources: sources)
    }

    // MARK: - Validation of each source

    func validateArguments(_ arguments: [String]) throws(ConfigurationError) {
        var flags: [String: String] = [:]
        for key in schema.keys { flags[ConfigurationSchema.flagName(key)] = key }
        var sawFlag = false
        for argument in arguments {
            guard argument.hasPrefix("--") else {
                // Values follow their flag (several for a list key such as kafka.consumer.topics).
                guard sawFlag else {
                    throw ConfigurationError(
                        key: nil, "unexpected argument `\(argument)`; configuration flags look like --redis-pool-size 8"
                    )
                }
                continue
            }
            let flag = String(argument.prefix { $0 != "=" })
            sawFlag = true
            if flags[flag] == nil,
                let open = schema.openPrefixes.first(where: { flag.hasPrefix(ConfigurationSchema.flagName($0)) })
            {
                // A pass-through flag cannot be mapped back to its dotted key; secrets there
                // are recognised by name.
                if flag.contains("password") || flag.contains("secret") {
                    throw ConfigurationError(
                        key: nil,
                        "\(flag) may not be given on the command line (other users can read it in `ps`); "
                            + "set the matching \(ConfigurationSchema.environmentName(open))* variable instead")
                }
                guard Self.librdkafkaKey(spelled: flag, as: ConfigurationSchema.flagName) != nil else {
                    throw ConfigurationError(
                        key: nil,
                        "unknown option \(flag): it names no librdkafka property (e.g. --kafka-librdkafka-fetch-wait-max-ms 5)"
                    )
                }
                continue
            }
            guard let key = flags[flag] else {
                let hint =
                    schema.suggestion(for: flag, spelledAs: ConfigurationSchema.flagName)
                    .map { "; did you mean \(ConfigurationSchema.flagName($0)) (\($0))?" }
                    ?? "; `resid config check --help` lists the keys"
                throw ConfigurationError(key: nil, "unknown option \(flag)\(hint)")
            }
            if schema.isSecret(key) {
                throw ConfigurationError(
                    key: key,
                    "\(key) may not be given on the command line (other users can read it in `ps`); "
                        + "set \(ConfigurationSchema.environmentName(key)) or the matching file setting instead")
            }
        }
    }

    func validateEnvironment(_ variables: [String: String]) throws(ConfigurationError) {
        var names: [String: String] = [:]
        for key in schema.keys { names[ConfigurationSchema.environmentName(key)] = key }
        for name in variables.keys.sorted() where names[name] == nil {
            if schema.openPrefixes.contains(where: { name.hasPrefix(ConfigurationSchema.environmentName($0)) }) {
                guard Self.librdkafkaKey(spelled: name, as: ConfigurationSchema.environmentName) != nil else {
                    throw ConfigurationError(
                        key: nil,
                        "environment variable \(name) names no librdkafka property; "
                            + "spell a property's dots as underscores (RESID_KAFKA_LIBRDKAFKA_FETCH_WAIT_MAX_MS)")
                }
                continue
            }
            let hint =
                schema.suggestion(for: name, spelledAs: ConfigurationSchema.environmentName)
                .map { "; did you mean \(ConfigurationSchema.environmentName($0)) (\($0))?" } ?? ""
            throw ConfigurationError(
                key: nil,
                "environment variable \(name) is not a ReSID setting\(hint) (RESID_* variables must name a key)")
        }
    }

    /// Checks the file's keys; returns false for a file with no settings (empty or comments).
    @discardableResult
    func validateFile(at path: String) throws(ConfigurationError) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(key: nil, "cannot read \(path); check the path and its permissions")
        }
        return try validateYAML(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Checks the YAML text's keys against the schema; returns false for a document with no
    /// settings.
    @discardableResult
    func validateYAML(_ text: String, path: String) throws(ConfigurationError) -> Bool {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(key: nil, "\(path) is not valid YAML: \(error)")
        }
        guard let root, root.null == nil else { return false }  // an empty file: defaults
        guard let mapping = root.mapping else {
            throw ConfigurationError(key: nil, "\(path): the top level must be a mapping of sections (`redis:` ...)")
        }
        try validate(mapping, prefix: "", path: path)
        return true
    }

    private func validate(_ mapping: Node.Mapping, prefix: String, path: String) throws(ConfigurationError) {
        for (keyNode, value) in mapping {
            let line = keyNode.mark.map { ":\($0.line)" } ?? ""
            guard let name = keyNode.string else {
                throw ConfigurationError(key: nil, "\(path)\(line): a key under `\(prefix)` is not a string")
            }
            let key = prefix.isEmpty ? name : prefix + "." + name
            if let child = value.mapping {
                if schema.isSection(key) || schema.openPrefixes.contains(where: { (key + ".").hasPrefix($0) }) {
                    try validate(child, prefix: key, path: path)
                    continue
                }
                throw unknownKey(key, path: path, line: line)
            }
            if schema.isSection(key) {
                // `section:` with everything below commented out is an empty section.
                if value.null != nil { continue }
                throw ConfigurationError(
                    key: key, "\(path)\(line): `\(key)` is a section; give its settings as `\(key).<name>: value` lines"
                )
            }
            guard schema.accepts(key) else { throw unknownKey(key, path: path, line: line) }
            if schema.isSecret(key) {
                throw ConfigurationError(
                    key: key,
                    "\(path)\(line): \(key) is a secret and may not be written in the configuration file; "
                        + "set \(ConfigurationSchema.environmentName(key)) or name a file holding it"
                        + (schema.keys.contains(key + "File") ? " with \(key)File" : ""))
            }
            if key.hasPrefix(Self.librdkafkaPrefix) {
                let property = String(key.dropFirst(Self.librdkafkaPrefix.count))
                if let problem = LibrdkafkaPropertyCheck.problem(name: property, value: value.string ?? "") {
                    throw ConfigurationError(
                        key: key,
                        "\(path)\(line): \(key): librdkafka refuses `\(property)`: \(problem); "
                            + "librdkafka's CONFIGURATION.md lists its properties")
                }
            }
            if value.sequence != nil, !schema.listKeys.contains(key) {
                throw ConfigurationError(key: key, "\(path)\(line): \(key) takes a single value, not a list")
            }
            if value.null != nil {
                throw ConfigurationError(
                    key: key, "\(path)\(line): \(key) has no value; give one or delete the line to keep the default")
            }
        }
    }

    static let librdkafkaPrefix = "kafka.librdkafka."

    /// The `kafka.librdkafka.<property>` key that `written` spells (as a variable or flag name),
    /// or `nil` when it names no property librdkafka knows. Names are compared in their spelled
    /// form because dots and underscores both become `_` (or `-`) there.
    static func librdkafkaKey(spelled written: String, as spell: (String) -> String) -> String? {
        LibrdkafkaPropertyCheck.propertyNames.lazy.map { librdkafkaPrefix + $0 }.first { spell($0) == written }
    }

    private func unknownKey(_ key: String, path: String, line: String) -> ConfigurationError {
        let hint = schema.suggestion(for: key).map { "; did you mean `\($0)`?" } ?? ""
        let section = key.split(separator: ".").first.map(String.init) ?? key
        let siblings = schema.keys.filter { $0.hasPrefix(section + ".") }.sorted()
        let known =
            siblings.isEmpty
            ? " (known sections: \(Set(schema.keys.compactMap { $0.split(separator: ".").first.map(String.init) }).sorted().joined(separator: ", ")))"
            : " (known keys under `\(section)`: \(siblings.joined(separator: ", ")))"
        return ConfigurationError(key: key, "\(path)\(line): unknown key `\(key)`\(hint)\(known)")
    }
}
