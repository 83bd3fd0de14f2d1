import Inference
import Kafka
import Logging
import Redis
import ServingState
import Tensor
import Tokenizer

/// The item path: new items' fields → cold-start vector → level 1/2 placement → atomic level-3
/// claim in Redis (``RedisLevel3Claimer``, one batch per bundle and poll) → item-SID records,
/// for every served bundle.
///
/// An item the bundle already knows (frozen, or assigned online before) keeps its SID and
/// produces nothing; the claim script is idempotent as well, so a replayed item event (after a
/// crash) re-publishes the same SID.
struct ItemPath: Sendable {
    let redis: RedisOutageGate
    let claimCheck: ClaimStoreCheck
    let keys: RedisKeys
    let topics: ServeTopics
    let logger: Logger
    /// Cold-start encoding (the FAMAE's forward pass) runs here, off the cooperative pool.
    let encoding = BlockingQueue(label: "resid.serve.coldstart")

    /// What one batch produced.
    struct Outcome {
        var messages: [KafkaProducerMessage] = []
        var deadLetters: [(KafkaConsumerMessage, EventRejection)] = []
        var newSIDs: [String: Int] = [:]
        /// New SIDs on an overflow level-3 code, by bundle.
        var overflowSIDs: [String: Int] = [:]
        /// New SIDs in a sibling group because the item's own group was full, by bundle.
        var spilledSIDs: [String: Int] = [:]
        /// New items with a column of only unknown values, by column.
        var unknownFieldItems: [String: Int] = [:]
    }

    /// Processes the valid item events of one poll (in order; the last event of an item wins).
    func process(
        _ events: [(message: KafkaConsumerMessage, event: ItemEvent)], catalogs: [ServingCatalog]
    ) async throws -> Outcome {
        var outcome = Outcome()
        guard !events.isEmpty else { return outcome }
        // Last event per item in this batch.
        var latest: [String: Int] = [:]
        for (position, entry) in events.enumerated() { latest[entry.event.item] = position }
        let ordered = latest.values.sorted().map { events[$0] }
        let now = nowMilliseconds()
        for catalog in catalogs {
            let bundle = catalog.bundle
            var fresh: [(message: KafkaConsumerMessage, event: ItemEvent)] = []
            for entry in ordered {
                switch entry.event.operation {
                case .delete:
                    catalog.remove(entry.event.item)
                    let key = ItemSIDRecord(
                        item: entry.event.item, sid: [], bundleID: bundle.id, assignedAtMilliseconds: now
                    ).messageKey
                    outcome.messages.append(KafkaProducerMessage(topic: topics.itemSIDs, key: key, value: nil))
                case .upsert:
                    if catalog.sid(of: entry.event.item) == nil { fresh.append(entry) }
                }
            }
            // An item with no field the bundle knows would get the model's prediction from
            // nothing, the same vector for every such item: no SID for it, a dead letter instead.
            var reports: [String: ColdStartTokenizer.FieldReport] = [:]
            fresh = fresh.filter { entry in
                let report = bundle.tokenizer.fieldReport(
                    ColdStartTokenizer.Item(key: entry.event.item, values: entry.event.fields))
                if let rejection = report.rejection {
                    outcome.deadLetters.append(
                        (entry.message, EventRejection(field: "fields", reason: "bundle \(bundle.id): \(rejection)")))
                    return false
                }
                reports[entry.event.item] = report
                return true
            }
            guard !fresh.isEmpty else { continue }
            let batch = fresh
            let (placed, rejected) = await encoding.run { place(batch, bundle: bundle) }
            outcome.deadLetters += rejected
            guard !placed.isEmpty else { continue }
            // One batch through the Redis claimer: one script run per item, pipelined, so the
            // batch costs one round trip; it keeps the bundle's own codes out of the candidates.
            let items = placed.map(\.event.item)
            let g3 = bundle.codeSizes[2]
            let claims = try await redis.run("SID claim") { connection in
                try await bundle.tokenizer.assigner.claim(
                    items: items, placements: placed.map(\.placement),
                    claimer: RedisLevel3Claimer(
                        connection: connection, bundle: bundle.id, keys: keys, frozen: bundle.frozenSIDs))
            }
            try await claimCheck.refuseHeld(
                zip(items, claims).map { ($0, $1.sid.codes, $1.newlyAssigned) }, catalog: catalog)
            var entries: [(item: String, sid: [Int])] = []
            for (item, claim) in zip(items, claims) {
                let sid = claim.sid.codes
                entries.append((item, sid))
                let unknown = reports[item]?.unknown ?? []
                let record = ItemSIDRecord(
                    item: item, sid: sid, bundleID: bundle.id, assignedAtMilliseconds: now,
                    unknownFields: unknown, overflow: claim.isOverflow(capacity: g3), spilled: claim.spilled)
                outcome.messages.append(
                    KafkaProducerMessage(topic: topics.itemSIDs, key: record.messageKey, value: record.encoded()))
                guard claim.newlyAssigned else { continue }
                outcome.newSIDs[bundle.id, default: 0] += 1
                if record.overflow { outcome.overflowSIDs[bundle.id, default: 0] += 1 }
                if record.spilled { outcome.spilledSIDs[bundle.id, default: 0] += 1 }
                for column in unknown { outcome.unknownFieldItems[column, default: 0] += 1 }
            }
            let inserted = catalog.insert(entries)
            if inserted.conflicts > 0 {
                logger.error(
                    "claimed SIDs conflict with the catalogue",
                    metadata: ["serve.bundle": "\(bundle.id)", "serve.conflicts": "\(inserted.conflicts)"])
            }
        }
        return outcome
    }

    /// Encodes and places items in one batch; if the batch fails, item by item, so one bad item
    /// is dead-lettered without holding up the others.
    private func place(
        _ items: [(message: KafkaConsumerMessage, event: ItemEvent)], bundle: ServingBundle
    )
        -> (
            placed: [(event: ItemEvent, placement: OnlineAssigner.Placement)],
            rejected: [(KafkaConsumerMessage, EventRejection)]
        )
    {
        func run(_ batch: [(message: KafkaConsumerMessage, event: ItemEvent)]) throws -> [OnlineAssigner.Placement] {
            let vectors = try bundle.tokenizer.vectors(
                batch.map { ColdStartTokenizer.Item(key: $0.event.item, values: $0.event.fields) })
            return try bundle.tokenizer.assigner.place(vectors)
        }
        if let placements = try? run(items) {
            return (zip(items.map(\.event), placements).map { ($0, $1) }, [])
        }
        var placed: [(event: ItemEvent, placement: OnlineAssigner.Placement)] = []
        var rejected: [(KafkaConsumerMessage, EventRejection)] = []
        for item in items {
            do {
                if let placement = try run([item]).first { placed.append((item.event, placement)) }
            } catch {
                rejected.append(
                    (
                        item.message,
                        EventRejection(
                            field: "fields", reason: "cold-start encoding failed for bundle \(bundle.id): \(error)")
                    ))
            }
        }
        return (placed, rejected)
    }
}
