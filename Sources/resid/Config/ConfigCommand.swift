import ArgumentParser
import Foundation
import Serve

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
            // The same checks `resid serve` runs before it connects to anything.
            let serve = try ServePreflight.check(config: loaded.reader, requireVariants: false).settings
            print("configuration OK")
            print("sources (highest precedence first): \(loaded.sources.joined(separator: ", "))")
            print(loaded.redis)
            if serve.variants.isEmpty {
                print("serve: no serve.variants set; `resid serve` needs at least one name:share:path")
            } else {
                print(
                    "serve: variants \(serve.variants.map(\.description).joined(separator: ", ")), topK \(serve.topK), beamWidth \(serve.beamWidth)"
                )
            }
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
