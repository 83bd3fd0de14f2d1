import Data
import Foundation
import Inference
import Kafka
import LocalServers
import Models
import ReSIDTestKit
import Redis
import Serve
import ServingState
import Testing
import Tokenizer
import Training

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
                    messages.append(
                        TestEvents.message(
                            topics.topics.interactions,
                            TestEvents.interaction(
                                id: "e-\(user)-\(step)", user: "u\(user)", item: keys[(user * 7 + step) % keys.count])))
                }
            }
            try await produce(messages, broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
            let complete = try await reader.read(timeout: .seconds(40)) {
                $0.count(topics.topics.predictions) >= messages.count
            }
            #expect(complete)
            let predictions = try reader.decoded(Prediction.self, topic: topics.topics.predictions)
            #expect(Set(predictions.map(\.source.event_id)).count == messages.count)
            let catalogue = Set(keys)
            for prediction in predictions {
                #expect(prediction.items.count == 10)
                #expect(
                    prediction.items.allSatisfy { catalogue.contains($0.item) && $0.sid.count == 3 && $0.score <= 0 })
                #expect(zip(prediction.items, prediction.items.dropFirst()).allSatisfy { $0.score >= $1.score })
                #expect(prediction.variant == "control" && prediction.latency_ms["total"] != nil)
                #expect(prediction.bundle_id == "synthetic-serve-bundle")
                // Items already in the user's prefix are never predicted (`serve.excludeHistory`).
                let numbers = prediction.source.event_id.split(separator: "-").compactMap { Int($0) }
                let earlier = Set((0...numbers[1]).map { keys[(numbers[0] * 7 + $0) % keys.count] })
                #expect(prediction.items.allSatisfy { !earlier.contains($0.item) }, "\(prediction.source.event_id)")
            }
            // Every prediction is a valid message of its topic.
            let validator = try TopicSchemaValidator(topicList: EmbeddedBroker.repositoryTopicList)
            for message in reader.messages[topics.topics.predictions] ?? [] {
                #expect(throws: Never.self) {
                    try validator.validate(message.value ?? [], topic: "resid.predictions.v1")
                }
            }
            // The last event of user u0 is the newest item in its Redis prefix.
            let pool = RedisConnectionPool(configuration: servers.redis.configuration(namespace: "predict"))
            let stored = try await pool.withConnection {
                try await $0.command(RedisCommand("GET", RedisKeys(namespace: "predict").prefix(user: "u0")))
            }
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
                let vectors = try bundle.tokenizer.vectors([
                    .init(key: "probe", values: TestBundle.fields(ofItem: index))
                ])
                let placement = try bundle.tokenizer.assigner.place(vectors)[0]
                return bundle.frozenSIDs.takenCodes(c1: placement.c1, c2: placement.c2).count < bundle.codeSizes[2]
            }
            let sourceItem = try #require(source, "every group of the test bundle is full")
            try await produce(
                [
                    TestEvents.message(
                        topics.topics.items,
                        try TestEvents.item(
                            id: "i-1", item: "brand-new-item", fields: TestBundle.fields(ofItem: sourceItem)))
                ],
                broker: servers.broker)
            let sids = try TopicReader(broker: servers.broker, topics: [topics.topics.itemSIDs])
            #expect(try await sids.read(timeout: .seconds(30)) { $0.count(topics.topics.itemSIDs) >= 1 })
            let records = try sids.decoded(ItemSID.self, topic: topics.topics.itemSIDs)
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(
                record.item == "brand-new-item" && record.sid.count == 3 && record.bundle_id == "synthetic-serve-bundle"
            )
            // Never a SID of a bundle item.
            let bundleSIDs = Set(instance.variants.snapshot().variants[0].catalog.bundle.sids)
            #expect(!bundleSIDs.contains(record.sid))
            // Claimed in Redis.
            let pool = RedisConnectionPool(configuration: servers.redis.configuration(namespace: "newitem"))
            let stored = try await pool.withConnection {
                try await $0.command(
                    RedisCommand(
                        "GET", RedisKeys(namespace: "newitem").item(bundle: record.bundle_id, item: "brand-new-item")))
            }
            #expect(stored.string == record.sid.map(String.init).joined(separator: ":"))
            await pool.close()

            // An interaction with the new item, then one with a bundle item: the new item is in
            // bob's prediction (with its SID) after its item event, and left out of alice's, whose
            // prefix holds it.
            try await produce(
                [
                    TestEvents.message(
                        topics.topics.interactions,
                        TestEvents.interaction(id: "x-1", user: "alice", item: "brand-new-item")),
                    TestEvents.message(
                        topics.topics.interactions, TestEvents.interaction(id: "x-2", user: "bob", item: keys[5])),
                ], broker: servers.broker)
            let reader = try TopicReader(broker: servers.broker, topics: [topics.topics.predictions])
            #expect(try await reader.read(timeout: .seconds(30)) { $0.count(topics.topics.predictions) >= 2 })
            let predictions = try reader.decoded(Prediction.self, topic: topics.topics.predictions)
            let decodable =
                record.sid[2]
                < instance.variants.snapshot().variants[0].catalog.bundle.generator.vocabulary.levelSizes[2]
            #expect(Set(predictions.map(\.user)) == ["alice", "bob"])
            for prediction in predictions {
                let found = prediction.items.first { $0.item == "brand-new-item" }
                #expect(found?.sid == (decodable && prediction.user == "bob" ? record.sid : nil), "\(prediction.user)")
            }
            #expect(decodable, "the claimed SID \(record.sid) is past the generator's level-3 vocabulary")
            #expect(await eventually { instance.metrics.value(.newSIDs, "synthetic-serve-bundle") == 1 })
            await sids.close()
            await reader.close()
            try await instance.stop()
        }
    }
}

extension ServeIntegrationTests {
    /// 1,000 malformed or hostile events, one kind after another, with 100 valid events
    /// interleaved.
    static func hostileEvents(topics: ServeTopics, knownItem: String) -> [KafkaProducerMessage] {
        let huge = String(repeating: "x", count: 100_000)
        let kinds: [(String, String?, [UInt8]?)] = [
            (topics.interactions, "u", Array("{".utf8)),  // truncated JSON
            (topics.interactions, "u", Array("not json at all".utf8)),
            (topics.interactions, "u", []),  // empty value
            (topics.interactions, "u", nil),  // tombstone
            (topics.interactions, "u", [0xFF, 0xFE, 0x00, 0x80]),  // not UTF-8
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"\#(knownItem)","type":"view","timestamp_ms":1,"value":NaN}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":2,"event_id":"e","user":"u","item":"\#(knownItem)","type":"view","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":123,"item":"\#(knownItem)","type":"view","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"\#(knownItem)","type":"view","timestamp_ms":"soon"}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"\#(knownItem)","type":"teleport","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"\#(knownItem)","type":"view","timestamp_ms":-5}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"\#(knownItem)","type":"view","timestamp_ms":1,"extra":true}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(#"{"schema_version":1,"event_id":"e","user":"u","type":"view","timestamp_ms":1}"#.utf8)
            ),
            (topics.interactions, "u", Array(#"[1,2,3]"#.utf8)),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"no-such-item","type":"view","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.interactions, "someone-else",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"\#(knownItem)","type":"view","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.interactions, nil,
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"\#(knownItem)","type":"view","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"u","item":"a\u0001b","type":"view","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.interactions, "u",
                Array(
                    #"{"schema_version":1,"event_id":"e","user":"\#(huge)","item":"\#(knownItem)","type":"view","timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.items, "i",
                Array(#"{"schema_version":1,"event_id":"e","op":"upsert","item":"i","timestamp_ms":1}"#.utf8)
            ),
            (
                topics.items, "i",
                Array(
                    #"{"schema_version":1,"event_id":"e","op":"explode","item":"i","fields":{"genre":"x"},"timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.items, "i",
                Array(
                    #"{"schema_version":1,"event_id":"e","op":"upsert","item":"i","fields":{"genre":{"nested":1}},"timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.items, "i",
                Array(
                    #"{"schema_version":1,"event_id":"e","op":"upsert","item":"i","fields":{"genre":"\#(huge)"},"timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.items, "other",
                Array(
                    #"{"schema_version":1,"event_id":"e","op":"upsert","item":"i","fields":{"genre":"x"},"timestamp_ms":1}"#
                        .utf8)
            ),
            (
                topics.items, "i",
                Array(
                    #"{"schema_version":"1","event_id":"e","op":"upsert","item":"i","fields":{"genre":"x"},"timestamp_ms":1}"#
                        .utf8)
            ),
        ]
        var messages: [KafkaProducerMessage] = []
        var hostile = 0
        var valid = 0
        while hostile < 1000 {
            // Huge values only a few times, to stay inside the embedded broker's memory limits.
            let kind = kinds[hostile % kinds.count]
            let isHuge = kind.2.map { $0.count > 50_000 } ?? false
            if isHuge, hostile >= 500 {
                messages.append(
                    KafkaProducerMessage(
                        topic: kind.0, key: kind.1.map { Array($0.utf8) }, value: Array(#"{"oops"#.utf8)))
            } else {
                messages.append(KafkaProducerMessage(topic: kind.0, key: kind.1.map { Array($0.utf8) }, value: kind.2))
            }
            hostile += 1
            if hostile % 10 == 0 {
                messages.append(
                    TestEvents.message(
                        topics.interactions,
                        TestEvents.interaction(id: "valid-\(valid)", user: "good-\(valid % 17)", item: knownItem)))
                valid += 1
            }
        }
        return messages
    }

    @Test(.timeLimit(.minutes(2)))
    func hostileEventsAreDeadLetteredWhileValidEventsFlow() async throws {
        let topics = TestTopics("hostile")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let instance = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "hostile")
            try await instance.waitReady()
            let messages = Self.hostileEvents(topics: topics.topics, knownItem: TestBundle.dataset.items.keys[0])
            try await produce(messages, broker: servers.broker)
            let reader = try TopicReader(
                broker: servers.broker, topics: [topics.topics.deadLetter, topics.topics.predictions])
            let done = try await reader.read(timeout: .seconds(60)) {
                $0.count(topics.topics.deadLetter) >= 1000 && $0.count(topics.topics.predictions) >= 100
            }
            #expect(done)
            #expect(reader.count(topics.topics.deadLetter) == 1000)
            #expect(reader.count(topics.topics.predictions) == 100)
            let letters = try reader.decoded(DeadLetter.self, topic: topics.topics.deadLetter)
            #expect(letters.allSatisfy { !$0.reason.isEmpty })
            // Each dead letter carries its source's original bytes.
            var originals: [String: [UInt8]] = [:]
            for message in messages
            where message.topic != topics.topics.interactions
                || !(message.value.map { String(decoding: $0, as: UTF8.self).contains("\"valid-") } ?? false)
            {
                originals[Data(message.value ?? []).base64EncodedString()] = message.value ?? []
            }
            #expect(letters.allSatisfy { originals[$0.original_base64] != nil })
            let reasons = Set(letters.map(\.reason))
            #expect(reasons.contains { $0.contains("unknown item") })
            #expect(reasons.contains { $0.contains("not valid JSON") })
            #expect(reasons.contains { $0.contains("message key") })
            let validator = try TopicSchemaValidator(topicList: EmbeddedBroker.repositoryTopicList)
            for message in reader.messages[topics.topics.deadLetter] ?? [] {
                #expect(throws: Never.self) {
                    try validator.validate(message.value ?? [], topic: "resid.deadletter.v1")
                }
            }
            #expect(await eventually { instance.metrics.total(.deadLetters) == 1000 })
            #expect(await eventually { instance.metrics.value(.predictions, "control") == 100 })
            await reader.close()
            try await instance.stop()
        }
    }
}

extension ServeIntegrationTests {
    @Test(.timeLimit(.minutes(2)))
    func unknownValuesArePlacedByKnownFieldsAndItemsWithoutAUsableFieldAreDeadLettered() async throws {
        let topics = TestTopics("unknown")
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let instance = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: uniqueTestName("serve"), namespace: "unknown")
            try await instance.waitReady()
            let bundle = instance.variants.snapshot().variants[0].catalog.bundle
            let values = TestBundle.fields(ofItem: 11)
            let column = try #require(values.keys.sorted().first)
            var partly = values
            partly[column] = ["a value the bundle never saw"]
            var known = values
            known[column] = nil
            let nothing = Dictionary(uniqueKeysWithValues: values.keys.map { ($0, ["never seen"]) })
            try await produce(
                [
                    TestEvents.message(
                        topics.topics.items, try TestEvents.item(id: "u-1", item: "partly-unknown", fields: partly)),
                    TestEvents.message(
                        topics.topics.items, try TestEvents.item(id: "u-2", item: "nothing-known", fields: nothing)),
                    TestEvents.message(
                        topics.topics.items,
                        try TestEvents.item(id: "u-3", item: "foreign-columns", fields: ["colour": ["red"]])),
                ], broker: servers.broker)
            let reader = try TopicReader(
                broker: servers.broker, topics: [topics.topics.itemSIDs, topics.topics.deadLetter])
            #expect(
                try await reader.read(timeout: .seconds(30)) {
                    $0.count(topics.topics.itemSIDs) >= 1 && $0.count(topics.topics.deadLetter) >= 2
                })
            let records = try reader.decoded(ItemSID.self, topic: topics.topics.itemSIDs)
            #expect(records.map(\.item) == ["partly-unknown"])
            let record = try #require(records.first)
            #expect(record.unknown_fields == [column])
            // Placed where its known fields alone put it.
            let expected = try bundle.tokenizer.assigner.place(
                bundle.tokenizer.vectors([.init(key: "probe", values: known)]))[0]
            #expect(Array(record.sid.prefix(2)) == [expected.c1, expected.c2] || record.spilled == true)
            let letters = try reader.decoded(DeadLetter.self, topic: topics.topics.deadLetter)
            #expect(letters.count == 2)
            #expect(letters.allSatisfy { $0.reason.contains("no usable field") })
            #expect(letters.contains { $0.reason.contains("never saw in") && $0.reason.contains(column) })
            #expect(letters.contains { $0.reason.contains("does not have: colour") })
            #expect(await eventually { instance.metrics.value(.unknownFieldItems, column) == 1 })
            #expect(await eventually { instance.metrics.total(.unknownFieldItems) == 1 })
            #expect(await eventually { instance.metrics.total(.newSIDs) == 1 })
            await reader.close()
            try await instance.stop()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func twoInstancesSplitPartitionsAndNeverShareASID() async throws {
        let topics = TestTopics("pair", partitions: 4)
        try await withIntegrationServers(topics: topics.brokerTopics) { servers in
            let group = uniqueTestName("serve")
            let first = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: group, namespace: "pair", instanceID: "a")
            let second = try await ServeInstance(
                servers: servers, topics: topics.topics, groupID: group, namespace: "pair", instanceID: "b")
            try await first.waitReady()
            try await second.waitReady()
            // Both members hold partitions of both input topics, and none twice.
            let deadline = ContinuousClock.now + .seconds(30)
            while first.health.assignedPartitions.isEmpty || second.health.assignedPartitions.isEmpty
                || first.health.assignedPartitions.count + second.health.assignedPartitions.count < 8
            {
                guard ContinuousClock.now < deadline else { throw TestFailure("the group did not settle") }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(first.health.assignedPartitions.isDisjoint(with: second.health.assignedPartitions))

            // 200 new items with identical fields: every one lands in the same (c1, c2) group,
            // claimed concurrently by both instances (they own different item partitions).
            let fields = TestBundle.fields(ofItem: 0)
            var messages: [KafkaProducerMessage] = []
            for index in 0..<200 {
                messages.append(
                    TestEvents.message(
                        topics.topics.items, try TestEvents.item(id: "n-\(index)", item: "new-\(index)", fields: fields)
                    ))
            }
            for user in 0..<40 {
                messages.append(
                    TestEvents.message(
                        topics.topics.interactions,
                        TestEvents.interaction(
                            id: "p-\(user)", user: "user-\(user)", item: TestBundle.dataset.items.keys[user])))
            }
            try await produce(messages, broker: servers.broker)
            let reader = try TopicReader(
                broker: servers.broker, topics: [topics.topics.itemSIDs, topics.topics.predictions])
            #expect(
                try await reader.read(timeout: .seconds(60)) {
                    Set(((try? $0.decoded(ItemSID.self, topic: topics.topics.itemSIDs)) ?? []).map(\.item)).count >= 200
                        && $0.count(topics.topics.predictions) >= 40
                })
            let records = try reader.decoded(ItemSID.self, topic: topics.topics.itemSIDs)
            var sidOfItem: [String: [Int]] = [:]
            for record in records {
                if let earlier = sidOfItem[record.item] {
                    #expect(earlier == record.sid, "item \(record.item) got two SIDs")
                }
                sidOfItem[record.item] = record.sid
            }
            #expect(sidOfItem.count == 200)
            // No SID given to two items, and none taken from a bundle item.
            #expect(Set(sidOfItem.values).count == 200)
            let bundle = first.variants.snapshot().variants[0].catalog.bundle
            let bundleSIDs = Set(bundle.sids)
            #expect(sidOfItem.values.allSatisfy { !bundleSIDs.contains($0) })
            // The own group's free codes went first, then the spill groups' in order, each a
            // trained level-3 token; only the items past all that room got overflow codes (in
            // the own group), and both instances counted spills and overflows.
            let placement = try bundle.tokenizer.assigner.place(
                bundle.tokenizer.vectors([.init(key: "probe", values: fields)]))[0]
            let g3 = bundle.codeSizes[2]
            let rooms = placement.groups.map { g3 - bundle.frozenSIDs.takenCodes(c1: $0.c1, c2: $0.c2).count }
            let ownRoom = rooms[0]
            let spillRoom = rooms.dropFirst().reduce(0, +)
            let (spills, overflows) = (min(200 - ownRoom, spillRoom), max(0, 200 - ownRoom - spillRoom))
            let own = sidOfItem.values.filter { $0[0] == placement.c1 && $0[1] == placement.c2 }
            #expect(
                ownRoom > 0 && own.filter { $0[2] < g3 }.count == ownRoom,
                "\(own.count) of 200 on the own group's \(ownRoom) free codes")
            #expect(sidOfItem.values.filter { $0[2] < g3 }.allSatisfy { bundle.trainedLevel3Codes.contains($0[2]) })
            let listed = Set(placement.groups.map { [$0.c1, $0.c2] })
            #expect(sidOfItem.values.allSatisfy { listed.contains(Array($0.prefix(2))) })
            let spilledItems = Set(records.filter { $0.spilled == true }.map(\.item))
            #expect(spilledItems.count == spills)
            #expect(
                spilledItems.allSatisfy {
                    sidOfItem[$0].map { !($0[0] == placement.c1 && $0[1] == placement.c2) } ?? false
                })
            let overflowing = Set(records.filter { $0.overflow == true }.map(\.item))
            #expect(overflowing.count == overflows)
            #expect(overflowing.allSatisfy { (sidOfItem[$0]?[2] ?? 0) >= g3 })
            _ = await eventually {
                first.metrics.total(.newSIDs) + second.metrics.total(.newSIDs) == 200
                    && first.metrics.value(.predictions, "control") + second.metrics.value(.predictions, "control")
                        == 40
            }
            let counted = [first, second].map { ($0.metrics.total(.overflowSIDs), $0.metrics.total(.spilledSIDs)) }
            #expect(counted.map(\.0).reduce(0, +) == Double(overflows))
            #expect(counted.map(\.1).reduce(0, +) == Double(spills))
            // Both instances claimed some of them, and both predicted.
            let claimedByFirst = first.metrics.total(.newSIDs)
            let claimedBySecond = second.metrics.total(.newSIDs)
            #expect(claimedByFirst > 0 && claimedBySecond > 0 && claimedByFirst + claimedBySecond == 200)
            #expect(first.metrics.value(.predictions, "control") + second.metrics.value(.predictions, "control") == 40)
            // Each instance learned the other's items through the item-SID topic.
            let catalogDeadline = ContinuousClock.now + .seconds(20)
            while first.variants.snapshot().variants[0].catalog.onlineCount < 200
                || second.variants.snapshot().variants[0].catalog.onlineCount < 200
            {
                guard ContinuousClock.now < catalogDeadline else { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(first.variants.snapshot().variants[0].catalog.onlineCount == 200)
            #expect(second.variants.snapshot().variants[0].catalog.onlineCount == 200)
            await reader.close()
            try await first.stop()
            try await second.stop()
        }
    }
}
