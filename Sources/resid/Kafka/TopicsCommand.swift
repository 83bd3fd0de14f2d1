import ArgumentParser

/// `resid topics ...`: manage the Kafka topics of the topic list file.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Manage the Kafka topics listed in Topics/topics.json.",
        subcommands: [TopicsCreateCommand.self]
    )
}
