import Foundation
import Kafka
import ReSIDTestKit
import Redis
import Serve
import Testing

/// The daemon in this process against a real redis-server and the embedded broker, serving a
/// real (small, synthetic-data) bundle written by the offline pipeline.
@Suite("Serve daemon (integration)", .serialized)
struct ServeIntegrationTests {
    @Test(.timeLimit(.minutes(2)))
    func interactionEventsBecomePredictions() async throws {
        let topics = TestTopics("predict")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let instance = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "predict")
            try await instance.waitReady()
            let keys = TestBundle.dataset.items.keys
            var messages: [KafkaProducerMessage] = []
            for user in 0..<20 {
                for step in 0..<3 {
                    messages.append(TestEvents.message(
                        topics.topics.interactions,
                        TestEvents.interaction(id: "e-\(user)-\(step)", user: "u\(user)", item: keys[(user * 7 + step) % keys.count])))
                }
            }
            try await produce(messages, broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
            let complete = try await reader.read(timeout: .seconds(40)) { $0.count(topics.topics.predictions) >= messages.count }
            #expect(complete)
            let predictions = try reader.decoded(Prediction.self, topic: topics.topics.predictions)
            #expect(Set(predictions.map(\.source.event_id)).count == messages.count)
            let catalogue = Set(keys)
            for prediction in predictions {
                #expect(prediction.items.count == 10)
                #expect(prediction.items.allSatisfy { catalogue.contains($0.item) && $0.sid.count == 3 && $0.score <= 0 })
                #expect(zip(prediction.items, prediction.items.dropFirst()).allSatisfy { $0.score >= $1.score })
                #expect(prediction.variant == "control" && prediction.latency_ms["total"] != nil)
                #expect(prediction.bundle_id == "synthetic-serve-bundle")
            }
            // Every prediction is a valid message of its topic.
            let validator = try KafkaMessageValidator(topicList: EmbeddedBroker.repositoryTopicList)
            for message in reader.messages[topics.topics.predictions] ?? [] {
                #expect(throws: Never.self) { try validator.validate(message.value ?? [], topic: "resid.predictions.v1") }
            }
            // The last event of user u0 is the newest item in its Redis prefix.
            let pool = RedisConnectionPool(configuration: servers.redis.configuration(namespace: "predict"))
            let stored = try await pool.withConnection { try await $0.command(RedisCommand("GET", RedisKeys(namespace: "predict").prefix(user: "u0"))) }
            let items = stored.string?.split(separator: "\u{1E}").last?.split(separator: "\u{1F}").map(String.init)
            #expect(items == [keys[0], keys[1], keys[2]])
            await pool.close()
            await reader.close()
            try await instance.stop()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func newItemGetsASIDAndCanBePredicted() async throws {
        let topics = TestTopics("newitem")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            // Beam width and top-K above the catalogue size: every decodable item is returned,
            // so the new item shows up exactly when its SID is in the trie and decodable.
            let instance = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "newitem",
                topK: 200, beamWidth: 200)
            try await instance.waitReady()
            let keys = TestBundle.dataset.items.keys
            // Fields of a bundle item whose cold-start placement lands in a (c1, c2) group with a
            // free level-3 code, so the claimed SID is inside the generator's vocabulary.
            let bundle = instance.variants.snapshot().variants[0].catalog.bundle
            let source = try (0..<TestBundle.itemCount).first { index in
                let vectors = try bundle.tokenizer.vectors([.init(key: "probe", values: TestBundle.fields(ofItem: index))])
                let placement = try bundle.tokenizer.assigner.place(vectors)[0]
                return (bundle.offlineTaken[placement.c1 << 32 | placement.c2]?.count ?? 0) < bundle.codeSizes[2]
            }
            let sourceItem = try #require(source, "every group of the test bundle is full")
            try await produce(
                [TestEvents.message(topics.topics.items, try TestEvents.item(id: "i-1", item: "brand-new-item", fields: TestBundle.fields(ofItem: sourceItem)))],
                broker: servers.broker)
            let sids = try TopicReader(broker: servers.broker, topics: [topics.topics.itemSIDs])
            #expect(try await sids.read(timeout: .seconds(30)) { $0.count(topics.topics.itemSIDs) >= 1 })
            let records = try sids.decoded(ItemSID.self, topic: topics.topics.itemSIDs)
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(record.item == "brand-new-item" && record.sid.count == 3 && record.bundle_id == "synthetic-serve-bundle")
            // Never a SID of a bundle item.
            let bundleSIDs = Set(instance.variants.snapshot().variants[0].catalog.bundle.items.sids)
            #expect(!bundleSIDs.contains(record.sid))
            // Claimed in Redis.
            let pool = RedisConnectionPool(configuration: servers.redis.configuration(namespace: "newitem"))
            let stored = try await pool.withConnection {
                try await $0.command(RedisCommand("GET", RedisKeys(namespace: "newitem").item(bundle: record.bundle_id, item: "brand-new-item")))
            }
            #expect(stored.string == record.sid.map(String.init).joined(separator: ":"))
            await pool.close()

            // An interaction with the new item, then one with a bundle item: the new item is in
            // the predictions (with its SID) after its item event.
            try await produce(
                [
                    TestEvents.message(topics.topics.interactions, TestEvents.interaction(id: "x-1", user: "alice", item: "brand-new-item")),
                    TestEvents.message(topics.topics.interactions, TestEvents.interaction(id: "x-2", user: "bob", item: keys[5])),
                ], broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.predictions) >= 2 })
            let predictions = try reader.decoded(Prediction.self, topic: topics.topics.predictions)
            let decodable = record.sid[2] < instance.variants.snapshot().variants[0].catalog.bundle.generator.vocabulary.levelSizes[2]
            for prediction in predictions {
                let found = prediction.items.first { $0.item == "brand-new-item" }
                #expect(found?.sid == (decodable ? record.sid : nil))
            }
            #expect(decodable, "the claimed SID \(record.sid) is past the generator's level-3 vocabulary")
            #expect(instance.metrics.current.newSIDs["synthetic-serve-bundle"] == 1)
            await sids.close()
            await reader.close()
            try await instance.stop()
        }
    }
}
