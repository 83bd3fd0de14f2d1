import Foundation

/// Tallies what comes out of the daemons during the demo: predictions (checked against each
/// user's actual next item), dead letters and published item SIDs.
struct DemoScoreboard {
    /// The parts of a `resid.predictions.v1` value the demo reads.
    struct Prediction: Decodable {
        struct Source: Decodable { var event_id: String }
        struct Item: Decodable { var item: String }
        var source: Source
        var variant: String
        var items: [Item]
        var latency_ms: [String: Double]
    }

    struct VariantTally: Encodable {
        var predictions = 0
        var judged = 0
        var hits = 0
    }

    let events: DemoEvents
    /// When each source event was handed to Kafka (for end-to-end latency).
    var producedAt: [String: ContinuousClock.Instant] = [:]
    /// Source event ids predicted at least once (repeats after a rebalance are counted once).
    private(set) var predicted: Set<String> = []
    private(set) var repeats = 0
    private(set) var deadLetters = 0
    private(set) var undecodable = 0
    private(set) var publishedNewSIDs: Set<String> = []
    private(set) var serviceLatencies: [Double] = []
    private(set) var endToEndLatencies: [Double] = []
    private(set) var variants: [String: VariantTally] = [:]
    private(set) var heldOut = VariantTally()
    /// MostPop's top-K (K as long as each prediction, the user's replayed items left out as the
    /// daemon leaves them out) judged on the same predictions.
    private(set) var mostPopular = VariantTally()
    /// New items that appeared in some prediction made after their item event.
    private(set) var recommendedNewItems: Set<String> = []
    private(set) var predictionsWithNewItems = 0
    /// Slots of top-K lists that held a new item (one prediction can hold several).
    private(set) var newItemRecommendations = 0
    /// Predictions whose actual next item was a new item, and those whose top-K held it.
    private(set) var newItemTargets = VariantTally()
    private(set) var lastOutput: ContinuousClock.Instant?

    init(events: DemoEvents) { self.events = events }

    /// Every valid interaction has been predicted.
    var isComplete: Bool { predicted.count >= events.replayed.count }

    mutating func record(topic: String, key: String?, value: [UInt8]?, at now: ContinuousClock.Instant) {
        lastOutput = now
        switch topic {
        case "resid.deadletter.v1":
            deadLetters += 1
        case "resid.item-sids.v1":
            // Keyed "bundle/item" (one compacted entry per bundle and item).
            if let item = key?.split(separator: "/", maxSplits: 1).last, item.hasPrefix("new:") {
                publishedNewSIDs.insert(String(item))
            }
        default:
            guard let value, let prediction = try? JSONDecoder().decode(Prediction.self, from: Data(value)) else {
                undecodable += 1
                return
            }
            record(prediction, at: now)
        }
    }

    private mutating func record(_ prediction: Prediction, at now: ContinuousClock.Instant) {
        let id = prediction.source.event_id
        guard predicted.insert(id).inserted else {
            repeats += 1
            return
        }
        if let total = prediction.latency_ms["total"] { serviceLatencies.append(total) }
        if let sent = producedAt[id] {
            let elapsed = now - sent
            endToEndLatencies.append(
                Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        let items = prediction.items.map(\.item)
        let newOnes = items.filter { $0.hasPrefix("new:") }
        if !newOnes.isEmpty {
            predictionsWithNewItems += 1
            newItemRecommendations += newOnes.count
            recommendedNewItems.formUnion(newOnes)
        }
        var tally = variants[prediction.variant, default: VariantTally()]
        tally.predictions += 1
        if let replay = events.replayed[id], let next = replay.nextItem {
            let hit = items.contains(next)
            tally.judged += 1
            tally.hits += hit ? 1 : 0
            mostPopular.judged += 1
            mostPopular.hits +=
                events.mostPopular.lazy.filter { !replay.earlier.contains($0) }.prefix(items.count).contains(next)
                ? 1 : 0
            if next.hasPrefix("new:") {
                newItemTargets.judged += 1
                newItemTargets.hits += hit ? 1 : 0
            }
            if replay.nextIsHeldOut {
                heldOut.judged += 1
                heldOut.hits += hit ? 1 : 0
            }
        }
        variants[prediction.variant] = tally
    }

    /// The `q`-quantile (0...1) of `values`, nearest rank.
    static func percentile(_ values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }
}
