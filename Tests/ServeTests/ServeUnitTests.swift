import Foundation
import JSON
import Kafka
import LocalServers
import ReSIDTestKit
import Testing

@testable import Serve

@Suite("Event decoding and output encoding")
struct EventCodecTests {
    let decoder = EventDecoder(
        validator: try! TopicSchemaValidator(topicList: EmbeddedBroker.repositoryTopicList), topics: ServeTopics())

    @Test func decodesAValidInteraction() throws {
        let value = Array(
            #"{"schema_version":1,"event_id":"e1","user":"u:1","item":"i9","type":"click","timestamp_ms":5}"#.utf8)
        let event = try decoder.interaction(value: value, key: "u:1")
        #expect(
            event == InteractionEvent(eventID: "e1", user: "u:1", item: "i9", type: "click", timestampMilliseconds: 5))
    }

    @Test(
        arguments: [
            (#"{"schema_version":1,"event_id":"e","user":"u","item":"i","type":"view","timestamp_ms":1}"#, "v", "user"),
            (
                #"{"schema_version":2,"event_id":"e","user":"u","item":"i","type":"view","timestamp_ms":1}"#, "u",
                "schema_version"
            ),
            (
                #"{"schema_version":1,"event_id":"e","user":"u","item":"i","type":"view","timestamp_ms":1.5}"#, "u",
                "timestamp_ms"
            ),
            (
                #"{"schema_version":1,"event_id":"e","user":"u","item":"i\u0007","type":"view","timestamp_ms":1}"#, "u",
                "item"
            ),
            (
                #"{"schema_version":1,"event_id":"e","user":"u","item":"i","type":"view","timestamp_ms":1,"value":NaN}"#,
                "u", nil
            ),
            (#"{"#, "u", nil),
        ] as [(String, String, String?)])
    func rejectsABadInteractionNamingTheField(json: String, key: String, field: String?) {
        #expect(throws: EventRejection.self) { try decoder.interaction(value: Array(json.utf8), key: key) }
        do {
            _ = try decoder.interaction(value: Array(json.utf8), key: key)
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(!error.reason.isEmpty)
        }
    }

    @Test func decodesItemFieldsOfEveryAllowedType() throws {
        let value = Array(
            #"{"schema_version":1,"event_id":"e","op":"upsert","item":"m1","fields":{"genre":["Comedy","Drama"],"year":1995,"title":"Heat"},"timestamp_ms":1}"#
                .utf8)
        let event = try decoder.item(value: value, key: "m1")
        #expect(event.fields == ["genre": ["Comedy", "Drama"], "year": ["1995"], "title": ["Heat"]])
        #expect(event.operation == .upsert)
    }

    @Test func anUpsertWithoutFieldsIsRejected() {
        let value = Array(#"{"schema_version":1,"event_id":"e","op":"upsert","item":"m1","timestamp_ms":1}"#.utf8)
        #expect(throws: EventRejection.self) { try decoder.item(value: value, key: "m1") }
    }

    @Test func outputsAreValidMessagesOfTheirTopics() throws {
        let validator = try TopicSchemaValidator(topicList: EmbeddedBroker.repositoryTopicList)
        let prediction = PredictionRecord(
            user: "u \"quoted\"\n", source: SourcePosition(eventID: "e", topic: "t", partition: 2, offset: 9),
            variant: "control",
            bundleID: "b",
            items: [
                RankedItem(item: "i\\1", sid: [1, 2, 3], score: -0.5),
                RankedItem(item: "i2", sid: [1, 2, 4], score: -1.25),
            ],
            latencyMilliseconds: [("total", 1.5), ("decode", 0.25)], producedAtMilliseconds: 1)
        let parsed = try validator.validate(prediction.encoded(), topic: "resid.predictions.v1")
        guard case .object(let object) = parsed, case .string(let user) = object["user"] else {
            Issue.record("not an object")
            return
        }
        #expect(user == "u \"quoted\"\n")
        let sid = ItemSIDRecord(item: "m\u{1}", sid: [0, 1, 12], bundleID: "b", assignedAtMilliseconds: 3)
        #expect(throws: Never.self) { try validator.validate(sid.encoded(), topic: "resid.item-sids.v1") }
        #expect(sid.messageKey == "b/m\u{1}")
        let letter = DeadLetterRecord(
            topic: "t", partition: 0, offset: 4, key: [0xFF],
            rejection: EventRejection(field: nil, reason: String(repeating: "r", count: 5000)),
            original: [0, 1, 2, 255], failedAtMilliseconds: 7)
        let decoded = try validator.validate(letter.encoded(), topic: "resid.deadletter.v1")
        guard case .object(let fields) = decoded, case .string(let base64) = fields["original_base64"] else {
            Issue.record("not an object")
            return
        }
        #expect(Data(base64Encoded: base64) == Data([0, 1, 2, 255]))
    }
}

@Suite("A/B routing")
struct VariantRouterTests {
    @Test func routingIsStableAndFollowsTheShares() throws {
        let router = try VariantRouter(names: ["a", "b", "c"], shares: [0.5, 0.3, 0.2], salt: "s")
        let again = try VariantRouter(names: ["a", "b", "c"], shares: [5, 3, 2], salt: "s")
        var counts = [0, 0, 0]
        for user in 0..<20_000 {
            let index = router.variantIndex(user: "user-\(user)")
            #expect(index == again.variantIndex(user: "user-\(user)"))
            counts[index] += 1
        }
        // Within 2 percentage points of the shares (a binomial 20k sample's sd is < 0.4 pp).
        for (count, share) in zip(counts, [0.5, 0.3, 0.2]) { #expect(abs(Double(count) / 20_000 - share) < 0.02) }
    }

    @Test func aZeroShareGetsNobodyAndShiftingSharesMovesFewUsers() throws {
        let before = try VariantRouter(names: ["a", "b"], shares: [0.9, 0.1], salt: "s")
        let after = try VariantRouter(names: ["a", "b"], shares: [0.8, 0.2], salt: "s")
        let none = try VariantRouter(names: ["a", "b"], shares: [1, 0], salt: "s")
        var moved = 0
        for user in 0..<10_000 {
            let name = "u\(user)"
            #expect(none.variant(user: name) == "a")
            if before.variant(user: name) != after.variant(user: name) {
                moved += 1
                #expect(before.variant(user: name) == "a")  // only a -> b moves
            }
        }
        #expect(moved > 700 && moved < 1300)
    }

    @Test func theSaltReshufflesUsers() throws {
        let one = try VariantRouter(names: ["a", "b"], shares: [1, 1], salt: "one")
        let two = try VariantRouter(names: ["a", "b"], shares: [1, 1], salt: "two")
        let differing = (0..<1000).filter { one.variant(user: "u\($0)") != two.variant(user: "u\($0)") }.count
        #expect(differing > 400 && differing < 600)
    }

    @Test func badSharesAreRejected() {
        #expect(throws: ServeError.self) { try VariantRouter(names: ["a"], shares: [0], salt: "") }
        #expect(throws: ServeError.self) { try VariantRouter(names: ["a"], shares: [.nan], salt: "") }
        #expect(throws: ServeError.self) { try VariantRouter(names: ["a", "b"], shares: [1], salt: "") }
    }

    @Test func variantSpecsParseAndExplainMistakes() throws {
        #expect(try VariantSpec.parse("control:0.9:/b/x:y") == VariantSpec(name: "control", path: "/b/x:y", share: 0.9))
        for bad in ["control", "control:x:/b", "bad name:1:/b", "c:-1:/b", "c:1:"] {
            #expect(throws: ServeError.self) { try VariantSpec.parse(bad) }
        }
        #expect(throws: ServeError.self) {
            try VariantSpec.validate([
                VariantSpec(name: "a", path: "/x", share: 1), VariantSpec(name: "a", path: "/y", share: 1),
            ])
        }
    }
}

@Suite("Metrics rendering")
struct ServeMetricsTests {
    @Test func rendersPrometheusTextWithCumulativeBuckets() {
        let metrics = ServeMetrics()
        metrics.count(.predictions, by: 3, "control")
        metrics.count(.deadLetters, by: 2, "resid.interactions.v1")
        metrics.count(.events, by: 5, "resid.interactions.v1", "processed")
        for milliseconds in [4, 200, 30_000] {
            metrics.record(.predictionLatency, .milliseconds(milliseconds), "control")
        }
        metrics.set(.level3CapacityUsed, to: 0.5, "b")
        metrics.set(.consumerLag, to: 7, "resid.interactions.v1")
        let text = metrics.render()
        #expect(text.contains("resid_serve_predictions_total{variant=\"control\"} 3\n"))
        #expect(text.contains("resid_serve_dead_letters_total{topic=\"resid.interactions.v1\"} 2\n"))
        #expect(text.contains("resid_serve_events_total{topic=\"resid.interactions.v1\",outcome=\"processed\"} 5\n"))
        #expect(text.contains("resid_serve_prediction_latency_seconds_bucket{variant=\"control\",le=\"0.005\"} 1\n"))
        #expect(text.contains("resid_serve_prediction_latency_seconds_bucket{variant=\"control\",le=\"0.25\"} 2\n"))
        #expect(text.contains("resid_serve_prediction_latency_seconds_bucket{variant=\"control\",le=\"+Inf\"} 3\n"))
        #expect(text.contains("resid_serve_prediction_latency_seconds_count{variant=\"control\"} 3\n"))
        #expect(text.contains("# TYPE resid_serve_prediction_latency_seconds histogram\n"))
        #expect(text.contains("# HELP resid_serve_predictions_total Predictions produced, by variant.\n"))

        let samples = PrometheusSamples(text)
        #expect(samples.invalidLines.isEmpty, "\(samples.invalidLines)")
        #expect(samples.value("resid_serve_consumer_lag", ["topic": "resid.interactions.v1"]) == 7)
        #expect(samples.value("resid_serve_level3_capacity_used_ratio", ["bundle": "b"]) == 0.5)
        #expect(samples.value("resid_serve_prediction_latency_seconds_sum", ["variant": "control"]) == 30.204)
        // Single-series metrics are exported at 0 before anything happens.
        #expect(samples.value("resid_serve_duplicate_events_total") == 0)
        #expect(samples.value("resid_serve_ready") == 0)
    }

    @Test func labelValuesAreEscapedAndReadBack() {
        let metrics = ServeMetrics()
        metrics.count(.unknownFieldItems, "genre \"main\"\\sub\nline")
        let samples = PrometheusSamples(metrics.render())
        #expect(samples.invalidLines.isEmpty, "\(samples.invalidLines)")
        #expect(metrics.value(.unknownFieldItems, "genre \"main\"\\sub\nline") == 1)
        #expect(metrics.total(.unknownFieldItems) == 1)
    }

    @Test func eachInstanceCountsOnlyItsOwn() {
        let first = ServeMetrics()
        let second = ServeMetrics()
        first.count(.predictions, by: 2, "control")
        #expect(first.value(.predictions, "control") == 2)
        #expect(second.value(.predictions, "control") == 0)
    }
}
