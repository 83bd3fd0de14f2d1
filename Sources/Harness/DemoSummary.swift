import Foundation

/// What the demo measured, printed at the end (and as JSON with `--json`).
public struct DemoSummary: Encodable, Sendable {
    public struct Latency: Encodable, Sendable {
        var p50: Double?
        var p99: Double?
    }

    public struct HitRate: Encodable, Sendable {
        var judged: Int
        var hits: Int
        var rate: Double?
    }

    public var instances: Int
    /// The replay's pacing (nil: as fast as Kafka takes the events).
    public var offeredRate: Double?
    public var interactions: Int
    public var predictions: Int
    public var repeatedPredictions: Int
    public var undecodablePredictions: Int
    public var seconds: Double
    public var eventsPerSecond: Double
    /// Daemon-side latency (`latency_ms.total` of each prediction).
    public var serviceLatencyMs: Latency
    /// From handing the event to Kafka to reading its prediction back.
    public var endToEndLatencyMs: Latency
    public var malformedSent: Int
    public var deadLetters: Int
    /// Top-K contains the user's actual next replayed item.
    public var hitRate: HitRate
    /// Only predictions whose next item is the user's held-out test item (never trained on).
    public var heldOutHitRate: HitRate
    /// MostPop's hit rate on the same predictions (the floor the model must clear).
    public var mostPopularHitRate: HitRate
    public var variants: [String: HitRate]
    public var newItems: Int
    public var newItemSIDsPublished: Int
    public var newItemsRecommended: Int
    public var predictionsWithNewItems: Int
    /// Top-K slots that held a new item, over all predictions.
    public var newItemRecommendations: Int
    /// Predictions whose actual next item was a new item (a re-listing), and how many hit it.
    public var newItemHitRate: HitRate
    public var health: [String: String]

    init(board: DemoScoreboard, elapsed: Double, instances: Int, offeredRate: Double?, health: [String: String]) {
        func rate(_ tally: DemoScoreboard.VariantTally) -> HitRate {
            HitRate(
                judged: tally.judged, hits: tally.hits,
                rate: tally.judged > 0 ? Double(tally.hits) / Double(tally.judged) : nil)
        }
        self.instances = instances
        self.offeredRate = offeredRate
        interactions = board.events.replayed.count
        predictions = board.predicted.count
        repeatedPredictions = board.repeats
        undecodablePredictions = board.undecodable
        seconds = elapsed
        eventsPerSecond = elapsed > 0 ? Double(board.predicted.count) / elapsed : 0
        serviceLatencyMs = Latency(
            p50: DemoScoreboard.percentile(board.serviceLatencies, 0.5),
            p99: DemoScoreboard.percentile(board.serviceLatencies, 0.99))
        endToEndLatencyMs = Latency(
            p50: DemoScoreboard.percentile(board.endToEndLatencies, 0.5),
            p99: DemoScoreboard.percentile(board.endToEndLatencies, 0.99))
        malformedSent = board.events.malformed
        deadLetters = board.deadLetters
        let total = board.variants.values.reduce(into: DemoScoreboard.VariantTally()) {
            $0.judged += $1.judged
            $0.hits += $1.hits
        }
        hitRate = rate(total)
        heldOutHitRate = rate(board.heldOut)
        mostPopularHitRate = rate(board.mostPopular)
        variants = board.variants.mapValues(rate)
        newItems = board.events.newItems.count
        newItemSIDsPublished = board.publishedNewSIDs.count
        newItemsRecommended = board.recommendedNewItems.count
        predictionsWithNewItems = board.predictionsWithNewItems
        newItemRecommendations = board.newItemRecommendations
        newItemHitRate = rate(board.newItemTargets)
        self.health = health
    }

    /// The human-readable summary: on standard output, or standard error when the JSON takes
    /// standard output.
    public func print(toStandardError: Bool = false) {
        func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "n/a" }
        func share(_ rate: HitRate) -> String {
            rate.rate.map { String(format: "%.4f (%d of %d)", $0, rate.hits, rate.judged) } ?? "n/a"
        }
        let lines =
            [
                "",
                "ReSID Stream demo summary (real MovieLens-100K interactions; new items re-list real items: same fields, new key, the original's interactions)",
                "  daemons                 \(instances) instances, one consumer group",
                "  interactions replayed   \(interactions); predictions \(predictions) (+\(repeatedPredictions) repeats)",
                String(
                    format: "  throughput              %.1f events/s over %.1f s (offered: %@)", eventsPerSecond,
                    seconds, offeredRate.map { String(format: "%.0f events/s", $0) } ?? "as fast as possible"),
                "  latency in the daemon   p50 \(ms(serviceLatencyMs.p50)), p99 \(ms(serviceLatencyMs.p99))",
                "  latency end to end      p50 \(ms(endToEndLatencyMs.p50)), p99 \(ms(endToEndLatencyMs.p99))",
                "  dead letters            \(deadLetters) (malformed sent: \(malformedSent))",
                "  hit rate (top-K has the next item)   \(share(hitRate))",
                "    held-out next item only            \(share(heldOutHitRate))",
                "    MostPop on the same predictions    \(share(mostPopularHitRate))",
            ]
            + variants.sorted { $0.key < $1.key }.map {
                "    variant \($0.key.padding(toLength: 10, withPad: " ", startingAt: 0))                 \(share($0.value))"
            } + [
                "  new items               \(newItemSIDsPublished)/\(newItems) SIDs published; recommended \(newItemRecommendations) times (\(newItemsRecommended) distinct items, in \(predictionsWithNewItems) predictions)",
                "    hits when the next item was new    \(share(newItemHitRate))",
            ]
        let text = lines.joined(separator: "\n") + "\n"
        (toStandardError ? FileHandle.standardError : FileHandle.standardOutput).write(Data(text.utf8))
    }
}
