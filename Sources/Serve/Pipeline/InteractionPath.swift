import Kafka
import Logging
import Redis
import ServingState

/// The interaction path: prefix update in Redis (once per event), A/B routing, micro-batched
/// decoding, prediction records.
struct InteractionPath: Sendable {
    let redis: RedisOutageGate
    let keys: RedisKeys
    let configuration: ServeConfiguration
    let metrics: ServeMetrics
    let logger: Logger

    /// A prediction waiting for its delivery report.
    struct Pending {
        var message: KafkaProducerMessage
        var variant: String
        var polledAt: ContinuousClock.Instant
    }

    struct Outcome {
        var predictions: [Pending] = []
        var deadLetters: [(KafkaConsumerMessage, EventRejection)] = []
        var replays = 0
        /// Events repeating a recent event id of their user: neither applied nor predicted.
        var duplicates = 0
    }

    /// Processes the valid interaction events of one poll.
    func process(
        _ events: [(message: KafkaConsumerMessage, event: InteractionEvent)], variants: VariantSet.Current,
        polledAt: ContinuousClock.Instant
    ) async throws -> Outcome {
        var outcome = Outcome()
        guard !events.isEmpty else { return outcome }
        let catalogs = variants.catalogs

        // Items unknown to every catalogue may have been assigned by another instance a moment
        // ago (the item-SID topic not yet read here): ask Redis before calling them unknown.
        var unknown: [String] = []
        var seenUnknown: Set<String> = []
        for entry in events where !catalogs.contains(where: { $0.contains(entry.event.item) }) {
            if seenUnknown.insert(entry.event.item).inserted { unknown.append(entry.event.item) }
        }
        if !unknown.isEmpty { try await resolve(unknown, catalogs: catalogs) }
        var accepted: [(message: KafkaConsumerMessage, event: InteractionEvent)] = []
        accepted.reserveCapacity(events.count)
        for entry in events {
            if catalogs.contains(where: { $0.contains(entry.event.item) }) {
                accepted.append(entry)
            } else {
                outcome.deadLetters.append(
                    (
                        entry.message,
                        EventRejection(
                            field: "item",
                            reason:
                                "unknown item `\(EventDecoder.clip(entry.event.item))`: no served bundle has it and no item event assigned it a SID; send its item event first"
                        )
                    ))
            }
        }
        guard !accepted.isEmpty else { return outcome }

        let redisStart = ContinuousClock.now
        let prefixEvents = accepted.map { entry in
            PrefixEvent(
                user: entry.event.user, item: entry.event.item, partition: entry.message.partition,
                offset: entry.message.offset,
                eventID: entry.event.eventID, countsUptake: catalogs.contains { $0.isOnline(entry.event.item) })
        }
        let updates = try await redis.run("prefix update") { connection in
            try await connection.applyPrefixEvents(prefixEvents, keys: keys)
        }
        let redisMilliseconds = Self.milliseconds(ContinuousClock.now - redisStart)
        outcome.duplicates = updates.filter(\.duplicate).count
        outcome.replays = updates.filter { !$0.applied && !$0.duplicate }.count

        // Route, then decode each variant's users in micro-batches. A duplicate event was
        // predicted when its first copy was.
        var byVariant = [[Int]](repeating: [], count: variants.variants.count)
        for (position, entry) in accepted.enumerated() where !updates[position].duplicate {
            byVariant[variants.router.variantIndex(user: entry.event.user)].append(position)
        }
        for (variantIndex, positions) in byVariant.enumerated() where !positions.isEmpty {
            let variant = variants.variants[variantIndex]
            if configuration.newItemUptakeWeight > 0 { try await readUptake(of: variant.catalog) }
            var start = 0
            while start < positions.count {
                let chunk = positions[start..<min(start + configuration.microBatchSize, positions.count)]
                start += chunk.count
                let snapshot = variant.catalog.snapshot()
                let histories: [[Int32]] = chunk.map { position in
                    updates[position].items.compactMap { key in
                        guard let index = snapshot.indexByKey[key], snapshot.tokens[Int(index) * 3] >= 0 else {
                            return nil
                        }
                        return index
                    }
                }
                let decodeStart = ContinuousClock.now
                let (rankings, statistics) = await variant.decoder.decodeOffPool(
                    histories: histories, catalog: snapshot, k: configuration.topK,
                    excludeHistory: configuration.excludeHistory)
                let decodeDuration = ContinuousClock.now - decodeStart
                metrics.count(.beams, by: statistics.beams, variant.spec.name)
                metrics.count(.invalidBeams, by: statistics.invalidBeams, variant.spec.name)
                metrics.record(.decode, decodeDuration, variant.spec.name)
                let produced = nowMilliseconds()
                for (position, ranking) in zip(chunk, rankings) {
                    let entry = accepted[position]
                    let record = PredictionRecord(
                        user: entry.event.user,
                        source: SourcePosition(
                            eventID: entry.event.eventID, topic: entry.message.topic,
                            partition: entry.message.partition,
                            offset: entry.message.offset),
                        variant: variant.spec.name, bundleID: variant.bundleID,
                        items: zip(ranking.items, ranking.scores).map { item, score in
                            RankedItem(item: snapshot.keys[Int(item)], sid: snapshot.sid(item), score: score)
                        },
                        latencyMilliseconds: [
                            ("total", Self.milliseconds(ContinuousClock.now - polledAt)), ("redis", redisMilliseconds),
                            ("decode", Self.milliseconds(decodeDuration)),
                        ],
                        producedAtMilliseconds: produced)
                    outcome.predictions.append(
                        Pending(
                            message: KafkaProducerMessage(
                                topic: configuration.topics.predictions, key: entry.event.user, value: record.encoded()),
                            variant: variant.spec.name, polledAt: polledAt))
                }
            }
        }
        return outcome
    }

    /// Refreshes the online items' uptake from `resid:{ns}:uptake` at most once per
    /// ``uptakeReadInterval`` per catalogue: one HMGET of the online items, after this poll's
    /// prefix updates counted theirs.
    private func readUptake(of catalog: ServingCatalog) async throws {
        guard let items = catalog.uptakeReadDue(every: Self.uptakeReadInterval) else { return }
        let reply = try await redis.run("uptake read") { connection in
            try await connection.command(RedisCommand("HMGET", arguments: [keys.uptake] + items))
        }
        catalog.setUptake(
            (reply.array ?? []).map { $0.string.flatMap { Int($0) } ?? 0 },
            weight: Float(configuration.newItemUptakeWeight))
    }

    /// How stale online items' uptake may be when a prediction uses it.
    static let uptakeReadInterval: Duration = .seconds(1)

    /// Looks unknown items up in Redis (`resid:{ns}:item:{bundle}:{item}`) and adds the ones
    /// found to their catalogues.
    private func resolve(_ items: [String], catalogs: [ServingCatalog]) async throws {
        var commands: [RedisCommand] = []
        for catalog in catalogs {
            for item in items { commands.append(RedisCommand("GET", keys.item(bundle: catalog.bundle.id, item: item))) }
        }
        let replies = try await redis.run("item lookup") { connection in try await connection.pipeline(commands) }
        for (catalogIndex, catalog) in catalogs.enumerated() {
            var entries: [(item: String, sid: [Int])] = []
            for (itemIndex, item) in items.enumerated() {
                guard let text = replies[catalogIndex * items.count + itemIndex].string else { continue }
                let codes = text.split(separator: ":").compactMap { Int($0) }
                if codes.count == 3 { entries.append((item, codes)) }
            }
            _ = catalog.insert(entries)
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func seconds(_ duration: Duration) -> Double { milliseconds(duration) / 1000 }
}
