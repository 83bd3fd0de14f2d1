import Logging
import Redis
import ServingState

/// Keeps the Redis claim store and the item-SID topic in agreement, so that a claim store that
/// lost its state (Redis restarted without AOF, a wiped namespace) can never hand a new item a
/// SID that the topic already gave another item.
///
/// The topic is the record of what was published; Redis only remembers it to allocate fast.
/// Two checks follow from that:
/// - at start-up, after the topic has been replayed, every online item of every catalogue must
///   have its claim in Redis (`resid:{ns}:item:...` and its code in the group's hash); otherwise
///   the daemon refuses to start, naming the items, unless asked to restore the claims from the
///   topic;
/// - before an item-SID record is published, its SID must not belong to another item of the
///   catalogue; otherwise the batch fails (nothing is published or committed).
struct ClaimStoreCheck: Sendable {
    let pool: RedisConnectionPool
    let keys: RedisKeys
    let logger: Logger

    /// Compares the claim store with the replayed catalogues; with `restore`, writes the
    /// missing claims from the catalogues instead of refusing.
    ///
    /// - Throws: ``ServeError`` `.startup` naming the disagreeing items and the fixes; a claim
    ///   held by another item is refused even with `restore`.
    func verify(_ catalogs: [ServingCatalog], restore: Bool) async throws {
        var seen: Set<String> = []
        for catalog in catalogs where seen.insert(catalog.bundle.id).inserted {
            let bundle = catalog.bundle.id
            let entries = catalog.onlineEntries()
            guard !entries.isEmpty else { continue }
            var commands: [RedisCommand] = []
            commands.reserveCapacity(entries.count * 2)
            for entry in entries {
                commands.append(RedisCommand("GET", keys.item(bundle: bundle, item: entry.item)))
                commands.append(
                    RedisCommand(
                        "HGET", keys.sid3Group(bundle: bundle, c1: entry.sid[0], c2: entry.sid[1]), String(entry.sid[2])
                    ))
            }
            let replies = try await pool.withRetries { try await $0.pipeline(commands) }
            var missing: [Missing] = []
            var conflicts: [String] = []
            for (index, entry) in entries.enumerated() {
                let stored = replies[2 * index].string
                let holder = replies[2 * index + 1].string
                let expected = entry.sid.map(String.init).joined(separator: ":")
                // A holder that is not on the topic claimed the code but was never published
                // (its batch failed): its claim is void.
                let stale = holder.flatMap { $0 != entry.item && catalog.sid(of: $0) == nil ? $0 : nil }
                if (stored != nil && stored != expected) || (holder != nil && holder != entry.item && stale == nil) {
                    conflicts.append(
                        "`\(entry.item)` has \(expected) on the topic, Redis says \(stored ?? "none") held by \(holder ?? "none")"
                    )
                } else if stored == nil || holder == nil || stale != nil {
                    missing.append(Missing(item: entry.item, sid: entry.sid, staleHolder: stale))
                }
            }
            guard conflicts.isEmpty else {
                throw ServeError(
                    .startup,
                    "bundle \(bundle): the Redis claim store contradicts the item-SID topic for \(conflicts.count) item(s) "
                        + "(\(conflicts.prefix(3).joined(separator: "; "))); two items hold one SID. "
                        + "Restore Redis from a backup taken with the topic, or clear the namespace's sid3/item keys and start with --restore-claims"
                )
            }
            guard !missing.isEmpty else { continue }
            guard restore else {
                let examples = missing.prefix(3).map {
                    "`\($0.item)` (\($0.sid.map(String.init).joined(separator: ":")))"
                }
                throw ServeError(
                    .startup,
                    "bundle \(bundle): Redis has lost the claims of \(missing.count) of \(entries.count) online item(s) that the item-SID topic "
                        + "holds (e.g. \(examples.joined(separator: ", "))): new items would be given their SIDs. Redis was restarted without "
                        + "its AOF or the namespace was wiped. Restore Redis, or start once with --restore-claims to rewrite the claims from the topic"
                )
            }
            try await restoreClaims(missing, bundle: bundle)
            logger.notice(
                "restored SID claims from the item-SID topic",
                metadata: ["serve.bundle": "\(bundle)", "serve.claims": "\(missing.count)"])
        }
    }

    /// An online item whose claim Redis does not hold.
    struct Missing {
        var item: String
        var sid: [Int]
        /// An item never published that Redis gave this SID to.
        var staleHolder: String?
    }

    /// Writes the claims of `entries` and voids the unpublished claims in their way. The claim
    /// script skips taken codes, so an overflow counter behind the restored codes costs a few
    /// probes, not a collision.
    private func restoreClaims(_ entries: [Missing], bundle: String) async throws {
        var commands: [RedisCommand] = []
        for entry in entries {
            let group = keys.sid3Group(bundle: bundle, c1: entry.sid[0], c2: entry.sid[1])
            if let stale = entry.staleHolder {
                commands.append(RedisCommand("DEL", keys.item(bundle: bundle, item: stale)))
            }
            commands.append(
                RedisCommand(
                    "SET", keys.item(bundle: bundle, item: entry.item),
                    entry.sid.map(String.init).joined(separator: ":")))
            commands.append(RedisCommand("HSET", group, String(entry.sid[2]), entry.item))
        }
        _ = try await pool.withRetries { try await $0.pipeline(commands) }
    }

    /// Refuses claimed SIDs that another item of the catalogue already holds, after voiding
    /// the new claims that collide (so the store is left missing claims, which a restart with
    /// `--restore-claims` repairs, rather than contradicting the topic).
    ///
    /// - Throws: ``ServeError`` `.startup`: the claim store has lost claims while running.
    func refuseHeld(_ claims: [(item: String, sid: [Int], newlyAssigned: Bool)], catalog: ServingCatalog) async throws {
        var collisions: [(item: String, sid: [Int], holder: String)] = []
        for claim in claims {
            if let holder = catalog.holder(of: claim.sid), holder != claim.item {
                collisions.append((claim.item, claim.sid, holder))
            }
        }
        guard let first = collisions.first else { return }
        let bundle = catalog.bundle.id
        var commands: [RedisCommand] = []
        for collision in collisions where claims.contains(where: { $0.item == collision.item && $0.newlyAssigned }) {
            commands.append(RedisCommand("DEL", keys.item(bundle: bundle, item: collision.item)))
            commands.append(
                RedisCommand(
                    "HDEL", keys.sid3Group(bundle: bundle, c1: collision.sid[0], c2: collision.sid[1]),
                    String(collision.sid[2])))
        }
        if !commands.isEmpty { _ = try? await pool.withRetries { try await $0.pipeline(commands) } }
        throw ServeError(
            .startup,
            "bundle \(bundle): Redis gave new item `\(EventDecoder.clip(first.item))` the SID \(first.sid), which item "
                + "`\(EventDecoder.clip(first.holder))` already holds on the item-SID topic (\(collisions.count) such claim(s)): the claim "
                + "store lost its claims. Nothing was published; restart with --restore-claims to rewrite them from the topic"
        )
    }
}
