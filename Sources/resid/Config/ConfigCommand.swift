import ArgumentParser
import Foundation

/// `resid config ...`: inspect the configuration.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration (Config/resid.yaml, RESID_* variables, flags).",
        subcommands: [ConfigCheckCommand.self]
    )
}

/// `resid config check`: load and validate the configuration and print the effective settings
/// (secrets redacted), or the first problem with the key and the fix.
struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and print the effective settings (secrets redacted)."
    )

    @OptionGroup var config: ConfigOptions

    func run() async throws {
        do {
            let loaded = try await config.load()
            print("configuration OK")
            print("sources (highest precedence first): \(loaded.sources.joined(separator: ", "))")
            print(loaded.redis)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
