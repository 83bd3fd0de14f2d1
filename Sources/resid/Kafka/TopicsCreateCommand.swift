import ArgumentParser
import Foundation
import Kafka
import Logging

/// `resid topics create`: creates the listed topics on a real cluster (CreateTopics).
struct TopicsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create the topics of the topic list file on a cluster; existing topics are left as they are.",
        discussion:
            "Needs a real Kafka cluster: the embedded broker has no CreateTopics API (it pre-creates them itself)."
    )

    @Option(help: "Bootstrap brokers, host:port[,host:port...].")
    var bootstrap: String

    @Option(help: "Topic list file.")
    var topics = "Topics/topics.json"

    @Option(help: "Override every topic's replication factor (for example 1 on a single-broker cluster).")
    var replicationFactor: Int?

    @Option(help: "Seconds to wait for the cluster.")
    var timeoutSeconds = 30

    @OptionGroup var output: JSONOutputOptions

    func run() async throws {
        let servers = try KafkaBrokerAddress.parseList(bootstrap, key: "--bootstrap")
        var list = try KafkaTopicList.load(from: URL(fileURLWithPath: topics)).topics
        if let replicationFactor {
            guard replicationFactor >= 1 else { throw ValidationError("--replication-factor must be at least 1") }
            for index in list.indices { list[index].replicationFactor = replicationFactor }
        }
        var logger = Logger(label: "resid.topics")
        logger.logLevel = .warning
        let admin = try KafkaAdminClient(bootstrapServers: servers, logger: logger)
        let outcomes = try await admin.createTopics(list, timeout: .seconds(timeoutSeconds))
        if output.json {
            try printJSON(outcomes)
        } else {
            for topic in list {
                print(
                    "\(topic.name): \(outcomes[topic.name]?.rawValue ?? "no answer") (partitions \(topic.partitions), replication \(topic.replicationFactor))"
                )
            }
        }
    }
}
