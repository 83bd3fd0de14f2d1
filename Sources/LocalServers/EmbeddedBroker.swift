public import Foundation
public import Kafka
public import Logging
public import Supervision

/// The embedded broker: a `resid broker` child process running librdkafka's mock cluster
/// (see ``BrokerCommand``). Used for `kafka.bootstrap: embedded`, the demo, benchmarks and
/// tests.
///
/// The child exits when this process closes its standard input (so it never outlives a crashed
/// parent) or on `SIGTERM`, which ``stop(timeout:)`` sends.
public final class EmbeddedBroker: Sendable {
    /// The broker's bootstrap address.
    public let bootstrapServers: [KafkaBrokerAddress]

    private let child: ChildProcess
    private let workDirectory: URL
    private let logger: Logger

    /// The child's process id.
    public var processID: Int32 { child.processID }

    /// Starts `executable broker ...` and waits until it has written its bootstrap address.
    ///
    /// - Parameters:
    ///   - executable: the `resid` binary; by default the one this process runs.
    ///   - topicList: a topic list file whose topics are pre-created, or `nil`.
    ///   - topics: extra topics (name and partition count) to pre-create.
    ///   - brokerCount: number of mock brokers.
    ///   - startupTimeout: how long to wait for the bootstrap address.
    /// - Throws: ``ChildProcessError`` with the child's standard error if it does not start.
    public init(
        executable: URL = ExecutableSearch.running,
        topicList: URL? = nil,
        topics: [(name: String, partitions: Int)] = [],
        brokerCount: Int = 1,
        logger: Logger,
        startupTimeout: Duration = .seconds(20)
    ) async throws {
        self.logger = logger
        let fileManager = FileManager.default
        guard fileManager.isExecutableFile(atPath: executable.path) else {
            throw ChildProcessError(
                "\(executable.path) is not an executable; build it with `swift build --product resid`")
        }
        workDirectory = fileManager.temporaryDirectory.appendingPathComponent("resid-broker-\(UUID().uuidString)")
        try fileManager.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let bootstrapFile = workDirectory.appendingPathComponent("bootstrap")
        var command = ChildCommand(
            executable,
            BrokerCommand.arguments(
                topicList: topicList, topics: topics, brokerCount: brokerCount, bootstrapFile: bootstrapFile),
            name: "embedded broker")
        command.standardError = .captured
        command.keepsStandardInputOpen = true
        do {
            let launched = try await ChildProcess.launch(command)
            child = launched
            var address = ""
            try await launched.waitUntilReady("reporting a bootstrap address", timeout: startupTimeout) {
                address =
                    (try? String(contentsOf: bootstrapFile, encoding: .utf8))?.trimmingCharacters(
                        in: .whitespacesAndNewlines) ?? ""
                return !address.isEmpty
            }
            bootstrapServers = try KafkaBrokerAddress.parseList(address, key: "embedded broker bootstrap file")
        } catch {
            try? fileManager.removeItem(at: workDirectory)
            throw error
        }
        logger.info(
            "embedded broker started",
            metadata: [
                "kafka.bootstrap": "\(bootstrapServers.map(\.description).joined(separator: ","))",
                "pid": "\(processID)",
            ])
    }

    deinit {
        // Without stop(): the child process is killed with `child`.
        try? FileManager.default.removeItem(at: workDirectory)
    }

    /// Stops the broker: end of standard input and `SIGTERM`, then `SIGKILL` after `timeout`.
    /// Idempotent.
    public func stop(timeout: Duration = .seconds(5)) async {
        if case .signalled(SIGKILL) = await child.terminate(gracePeriod: timeout) {
            logger.warning("embedded broker was killed after ignoring SIGTERM", metadata: ["pid": "\(processID)"])
        }
        try? FileManager.default.removeItem(at: workDirectory)
    }
}
