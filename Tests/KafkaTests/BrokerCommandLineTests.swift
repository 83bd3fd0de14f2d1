import ArgumentParser
import Foundation
import Testing

@testable import LocalServers

/// The command line ``EmbeddedBroker`` writes is one `resid broker` reads as meant.
@Suite struct BrokerCommandLineTests {
    @Test("a topic list, extra topics, the broker count and the bootstrap file round-trip")
    func withTopicList() throws {
        let arguments = BrokerCommand.arguments(
            topicList: URL(fileURLWithPath: "/repo/Topics/topics.json"), topics: [("orders", 6), ("audit", 1)],
            brokerCount: 3,
            bootstrapFile: URL(fileURLWithPath: "/tmp/bootstrap"))
        #expect(arguments.first == "broker")
        let command = try BrokerCommand.parse(Array(arguments.dropFirst()))
        #expect(command.topics == "/repo/Topics/topics.json" && !command.noTopics)
        #expect(command.extraTopics == ["orders:6", "audit:1"])
        #expect(command.brokers == 3)
        #expect(command.bootstrapFile == "/tmp/bootstrap")
        #expect(command.exitOnStdinEof)
    }

    @Test("without a topic list no topics are pre-created")
    func withoutTopicList() throws {
        let arguments = BrokerCommand.arguments(
            topicList: nil, topics: [], brokerCount: 1, bootstrapFile: URL(fileURLWithPath: "/tmp/bootstrap"))
        let command = try BrokerCommand.parse(Array(arguments.dropFirst()))
        #expect(command.noTopics && command.extraTopics.isEmpty)
    }
}
