import ArgumentParser
import Foundation
import Serve

/// The configuration options every command that reads `Config/resid.yaml` shares: the file, and
/// any configuration key as a flag (`--redis-pool-size 8`), forwarded to the loader.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: "The YAML configuration file (default: $RESID_CONFIG, else ./Config/resid.yaml).")
    var path: String?

    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp(
            "Configuration overrides as flags, e.g. --redis-pool-size 8 (key redis.poolSize).",
            valueName: "--key value"))
    var overrides: [String] = []

    /// Loads and validates the configuration from the file, the environment and the overrides.
    func load() async throws(ConfigurationError) -> ResidConfiguration {
        try await ConfigurationLoader().load(
            explicitPath: path, arguments: overrides, environment: ProcessInfo.processInfo.environment)
    }
}
