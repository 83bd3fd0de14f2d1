public import ArgumentParser
import Dispatch
public import Foundation
import Kafka
import Logging

/// `resid broker`: the embedded Kafka broker (librdkafka's mock cluster) in its own process.
///
/// It lives beside ``EmbeddedBroker``, which starts it: the command line that one writes is the
/// one this one reads (``arguments(topicList:topics:brokerCount:bootstrapFile:)``).
public struct BrokerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded Kafka broker (librdkafka's mock cluster) until SIGTERM or SIGINT.",
        discussion: """
            Speaks the Kafka protocol over TCP on loopback and keeps data in memory. It has no \
            CreateTopics API, so topics are pre-created here; unknown topics are auto-created \
            with 4 partitions on first produce. Consumers need session.timeout.ms >= 4000. \
            Clients reach the mock through a long-poll front that answers a waiting fetch as soon \
            as records are appended, as a Kafka broker does (the mock alone holds an empty fetch \
            for its whole fetch.wait.max.ms).
            """
    )

    @Option(help: "Topic list file whose topics are pre-created.")
    var topics = "Topics/topics.json"

    @Flag(help: "Do not pre-create the topics of the topic list file.")
    var noTopics = false

    @Option(name: .customLong("topic"), help: "Extra topic to pre-create, as NAME:PARTITIONS (repeatable).")
    var extraTopics: [String] = []

    @Option(help: "Number of mock brokers (1-16).")
    var brokers = 1

    @Option(help: "File to write the bootstrap address to (written atomically once topics exist).")
    var bootstrapFile: String?

    @Flag(help: "Also stop when standard input closes (lets a parent process stop it by exiting).")
    var exitOnStdinEof = false

    @Flag(
        help:
            "Let clients talk to the mock brokers directly: an empty fetch is then answered only after its whole fetch.wait.max.ms (see FetchLongPollFront)."
    )
    var noLongPoll = false

    public init() {}

    /// The command line (after the program name) that runs this command with `topicList`'s
    /// topics (none without one) and `topics` pre-created, writes the bootstrap address to
    /// `bootstrapFile` and stops at the end of standard input.
    public static func arguments(
        topicList: URL?, topics: [(name: String, partitions: Int)], brokerCount: Int, bootstrapFile: URL
    ) -> [String] {
        var arguments = [
            configuration.commandName ?? "broker", "--brokers", "\(brokerCount)", "--bootstrap-file",
            bootstrapFile.path,
            "--exit-on-stdin-eof",
        ]
        arguments += topicList.map { ["--topics", $0.path] } ?? ["--no-topics"]
        for topic in topics {
            arguments += ["--topic", "\(topic.name):\(topic.partitions)"]
        }
        return arguments
    }

    public func run() async throws {
        var logger = Logger(label: "resid.broker")
        logger.logLevel = .warning
        let definitions = try topicsToCreate()
        let cluster = try KafkaMockCluster(brokerCount: brokers, logger: logger)
        for topic in definitions {
            try cluster.createTopic(
                topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor)
        }
        var front: FetchLongPollFront?
        if !noLongPoll {
            // The front parses only these versions' responses (non-flexible).
            try cluster.limitVersions(apiKey: KafkaWire.metadata, highest: KafkaWire.highestMetadataVersion)
            try cluster.limitVersions(
                apiKey: KafkaWire.findCoordinator, highest: KafkaWire.highestFindCoordinatorVersion)
            front = try FetchLongPollFront(mockServers: cluster.bootstrapServers)
        }
        let bootstrap = (front?.bootstrapServers ?? cluster.bootstrapServers).map(\.description).joined(
            separator: ",")
        if let bootstrapFile {
            try writeAtomically(bootstrap, to: URL(fileURLWithPath: bootstrapFile))
        }
        print(
            "embedded Kafka broker (librdkafka \(KafkaVersion.librdkafka) mock cluster, \(brokers) broker(s)\(front == nil ? "" : ", long-poll front")) listening"
        )
        print("bootstrap.servers=\(bootstrap)")
        for topic in definitions {
            print("topic \(topic.name) partitions=\(topic.partitions)")
        }
        fflush(nil)

        let reason = await Self.waitForStop(watchStdin: exitOnStdinEof)
        print("stopping (\(reason))")
        fflush(nil)
        if let bootstrapFile {
            try? FileManager.default.removeItem(atPath: bootstrapFile)
        }
        front?.stop()
        withExtendedLifetime(cluster) {}
    }

    private func topicsToCreate() throws -> [KafkaTopicDefinition] {
        var definitions: [KafkaTopicDefinition] = []
        if !noTopics {
            definitions = try KafkaTopicList.load(from: URL(fileURLWithPath: topics)).topics
        }
        for entry in extraTopics {
            let parts = entry.split(separator: ":")
            guard parts.count == 2, !parts[0].isEmpty, let partitions = Int(parts[1]), partitions >= 1 else {
                throw ValidationError("--topic '\(entry)': write NAME:PARTITIONS, for example orders:6")
            }
            definitions.append(KafkaTopicDefinition(name: String(parts[0]), partitions: partitions))
        }
        return definitions
    }

    private func writeAtomically(_ text: String, to url: URL) throws {
        // Readers poll for the file: they must never see it half written.
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try Data((text + "\n").utf8).write(to: temporary)
        if FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
        try FileManager.default.moveItem(at: temporary, to: url)
    }

    /// Waits for SIGTERM, SIGINT or (optionally) end of standard input; returns which.
    private static func waitForStop(watchStdin: Bool) async -> String {
        let (reasons, continuation) = AsyncStream.makeStream(of: String.self)
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        if watchStdin {
            let thread = Thread {
                // read(2) returns 0 at end of file, when the parent closes the pipe or dies.
                var byte: UInt8 = 0
                while read(STDIN_FILENO, &byte, 1) > 0 {}
                continuation.yield("standard input closed")
            }
            thread.start()
        }
        var iterator = reasons.makeAsyncIterator()
        let reason = await iterator.next() ?? "stream ended"
        sources.forEach { $0.cancel() }
        return reason
    }
}
