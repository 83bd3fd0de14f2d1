import Foundation
import Logging
import Synchronization

/// The embedded broker: a `resid broker` child process running librdkafka's mock cluster
/// (see ``KafkaMockCluster``). Used for `kafka.bootstrap: embedded`, benchmarks and tests.
///
/// The child exits when this process closes its stdin (so it never outlives a crashed parent)
/// or on SIGTERM, which ``stop(timeout:)`` sends.
public final class KafkaEmbeddedBroker: Sendable {
    /// The broker's bootstrap address.
    public let bootstrapServers: [KafkaBrokerAddress]
    /// The child's process id.
    public let processID: Int32

    private let process: Mutex<Process?>
    private let stdinPipe: Pipe
    private let workDirectory: URL
    private let logger: Logger

    /// Starts `executable broker ...` and waits until it has written its bootstrap address.
    ///
    /// - Parameters:
    ///   - executable: the `resid` binary.
    ///   - topicList: a topic list file whose topics are pre-created, or `nil`.
    ///   - topics: extra topics (name and partition count) to pre-create.
    ///   - brokerCount: number of mock brokers.
    ///   - startupTimeout: how long to wait for the bootstrap address.
    /// - Throws: ``KafkaError`` `.clientCreation` with the child's stderr if it does not start.
    public init(
        executable: URL,
        topicList: URL? = nil,
        topics: [(name: String, partitions: Int)] = [],
        brokerCount: Int = 1,
        logger: Logger,
        startupTimeout: Duration = .seconds(20)
    ) async throws {
        self.logger = logger
        let fileManager = FileManager.default
        guard fileManager.isExecutableFile(atPath: executable.path) else {
            throw KafkaError(
                code: .clientCreation,
                message: "\(executable.path) is not an executable; build it with `swift build --product resid`")
        }
        workDirectory = fileManager.temporaryDirectory.appendingPathComponent("resid-broker-\(UUID().uuidString)")
        try fileManager.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let bootstrapFile = workDirectory.appendingPathComponent("bootstrap")
        let stderrFile = workDirectory.appendingPathComponent("stderr.log")
        _ = fileManager.createFile(atPath: stderrFile.path, contents: nil)

        var arguments = ["broker", "--brokers", "\(brokerCount)", "--bootstrap-file", bootstrapFile.path, "--exit-on-stdin-eof"]
        if let topicList {
            arguments += ["--topics", topicList.path]
        } else {
            arguments += ["--no-topics"]
        }
        for topic in topics {
            arguments += ["--topic", "\(topic.name):\(topic.partitions)"]
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        stdinPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        processID = process.processIdentifier
        self.process = Mutex(process)

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: startupTimeout)
        var address: String?
        while address == nil {
            if let text = try? String(contentsOf: bootstrapFile, encoding: .utf8), !text.isEmpty {
                address = text.trimmingCharacters(in: .whitespacesAndNewlines)
                break
            }
            let failure: String? =
                !process.isRunning ? "exited with status \(process.terminationStatus)"
                : clock.now > deadline ? "did not report a bootstrap address within \(startupTimeout)" : nil
            if let failure {
                if process.isRunning { process.terminate() }
                let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
                try? fileManager.removeItem(at: workDirectory)
                throw KafkaError(code: .clientCreation, message: "embedded broker \(failure): \(stderr.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        bootstrapServers = try KafkaBrokerAddress.parseList(address ?? "", key: "embedded broker bootstrap file")
        logger.info("embedded broker started", metadata: ["kafka.bootstrap": "\(bootstrapServers.bootstrapServers)", "pid": "\(processID)"])
    }

    deinit {
        // Without stop(): kill rather than leak a process.
        if let process = process.withLock({ $0 }), process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: workDirectory)
    }

    /// Stops the broker: SIGTERM, then SIGKILL after `timeout`. Idempotent.
    public func stop(timeout: Duration = .seconds(5)) async {
        guard let process = process.withLock({ current in defer { current = nil }; return current }) else { return }
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while process.isRunning, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning {
            logger.warning("embedded broker ignored SIGTERM; killing it", metadata: ["pid": "\(processID)"])
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: workDirectory)
    }
}
