import Foundation
import LocalServers
import ReSIDTestKit
import Supervision
import Testing

/// `resid config check` and `resid serve` as an operator runs them: every mistake in the serve
/// section is caught by the check, with the key named, before the daemon would start.
@Suite("resid config check (process)", .serialized)
struct ConfigCheckProcessTests {
    /// Runs `resid` with `arguments` from the repository root (where the default topic list
    /// is); returns the exit status and output.
    static func run(_ arguments: [String], config: String?) async throws -> (status: ChildExit, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "resid-check-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = arguments
        if let config {
            let file = directory.appendingPathComponent("resid.yaml")
            try Data(config.utf8).write(to: file)
            arguments += ["--config", file.path]
        }
        var command = ChildCommand(try EmbeddedBroker.residExecutable(), arguments, name: "resid")
        command.workingDirectory = EmbeddedBroker.repositoryTopicList.deletingLastPathComponent()
            .deletingLastPathComponent()
        command.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory(),
        ]
        command.standardOutput = .captured
        command.standardError = .captured
        return try await ChildProcess.run(command)
    }

    static var topicList: String { EmbeddedBroker.repositoryTopicList.path }
    static var bundle: String { TestBundle.url.path }

    /// A valid serve section with `override` lines replacing or adding settings.
    static func serveConfig(_ overrides: [String: String] = [:], variants: [String]? = nil) -> String {
        var settings = ["topicList": topicList, "topK": "10", "beamWidth": "20"]
        for (key, value) in overrides { settings[key] = value }
        var lines = ["serve:"]
        lines += settings.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
        lines += ["  variants:"] + (variants ?? ["control:1:\(bundle)"]).map { "    - \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("a valid configuration passes, an empty file means the defaults")
    func validConfigurationsPass() async throws {
        let valid = try await Self.run(["config", "check"], config: Self.serveConfig())
        #expect(valid.status.isSuccess && valid.output.contains("configuration OK"), "\(valid.output)")
        let empty = try await Self.run(["config", "check"], config: "")
        #expect(empty.status.isSuccess && empty.output.contains("configuration OK"), "\(empty.output)")
    }

    @Test(
        "each serve-section mistake fails the check naming the key",
        arguments: [
            (serveConfig(["topK": "-1"]), "serve.topK"),
            (serveConfig(["topK": "30", "beamWidth": "20"]), "serve.beamWidth"),
            (serveConfig(variants: ["control:abc:/tmp"]), "share `abc`"),
            (serveConfig(variants: ["control:0:/tmp/a", "candidate:0:/tmp/b"]), "every share is 0"),
            (serveConfig(variants: ["control:1:/no/such/bundle"]), "no manifest.json"),
            (serveConfig(["topicList": "/no/such/topics.json"]), "serve.topicList"),
            (serveConfig(["maxEventBytes": "10"]), "serve.maxEventBytes"),
            (serveConfig(["excludeHistory": "maybe"]), "serve.excludeHistory"),
            (serveConfig(["newItemUptakeWeight": "-1"]), "serve.newItemUptakeWeight"),
            (serveConfig(["newItemUptakeWeight": "lots"]), "serve.newItemUptakeWeight"),
            ("kafka:\n  librdkafka:\n    fetch.wait.max.msec: \"5\"\n", "kafka.librdkafka.fetch.wait.max.msec"),
        ])
    func mistakesFailTheCheck(config: String, named: String) async throws {
        let result = try await Self.run(["config", "check"], config: config)
        #expect(!result.status.isSuccess, "passed: \(result.output)")
        #expect(result.output.contains(named), "\(result.output)")
        #expect(!result.output.contains("configuration OK"))
    }

    @Test("resid serve refuses an unknown log level and the mistakes config check finds")
    func serveRefusesTheSameMistakes() async throws {
        let level = try await Self.run(["serve", "--log-level", "bogus"], config: Self.serveConfig())
        #expect(!level.status.isSuccess && level.output.contains("bogus"), "\(level.output)")
        let topK = try await Self.run(["serve"], config: Self.serveConfig(["topK": "-1"]))
        #expect(!topK.status.isSuccess && topK.output.contains("serve.topK"), "\(topK.output)")
        let bundle = try await Self.run(["serve"], config: Self.serveConfig(variants: ["control:1:/no/such/bundle"]))
        #expect(!bundle.status.isSuccess && bundle.output.contains("no manifest.json"), "\(bundle.output)")
    }
}
