import Foundation
import LocalServers
import ReSIDTestKit
import Redis
import ServingState
import Synchronization
import Testing
import Tokenizer

/// ReSID's state in Redis (the prefix update and the level-3 claim scripts) against a real
/// `redis-server` started by the test kit (one per test, on a free loopback port, stopped
/// afterwards).
@Suite("Serving state against a real Redis server", .timeLimit(.minutes(1)))
struct ServingStateIntegrationTests {
    private static let bundle = "test-bundle"

    @Test("the prefix script applies an event once; a replay or an older offset changes nothing")
    func prefixIdempotence() async throws {
        try await withRedisServer { server in
            let connection = RedisConnection(configuration: server.configuration())
            let keys = RedisKeys(namespace: "test")
            let key = keys.prefix(user: "u1")
            let events = (0..<5).map {
                PrefixEvent(user: "u1", item: "item:\($0)", partition: 2, offset: Int64(10 + $0))
            }
            let first = try await connection.applyPrefixEvents(events, keys: keys)
            #expect(first.allSatisfy { $0.applied })
            #expect(first.last?.items == (0..<5).map { "item:\($0)" })
            let stored = try await connection.command(RedisCommand("GET", key))

            let replay = try await connection.applyPrefixEvents(
                [events[4], events[2], PrefixEvent(user: "u1", item: "other", partition: 2, offset: 3)], keys: keys)
            #expect(replay.allSatisfy { !$0.applied })
            #expect(replay.allSatisfy { $0.items == first.last?.items })
            #expect(try await connection.command(RedisCommand("GET", key)) == stored)

            // Another partition has its own watermark: offset 1 there is new.
            let moved = try await connection.applyPrefixEvents(
                [PrefixEvent(user: "u1", item: "item:p5", partition: 5, offset: 1)], keys: keys)
            #expect(moved[0].applied && moved[0].items.last == "item:p5")

            // Uptake counts an appended event of a counted item once: not its replay, not a
            // duplicate id at a new offset, not an uncounted item.
            let counted = PrefixEvent(
                user: "u2", item: "new", partition: 0, offset: 7, eventID: "e7", countsUptake: true)
            _ = try await connection.applyPrefixEvents(
                [
                    counted, counted,
                    PrefixEvent(user: "u2", item: "new", partition: 0, offset: 8, eventID: "e7", countsUptake: true),
                    PrefixEvent(user: "u3", item: "new", partition: 0, offset: 9, countsUptake: true),
                    PrefixEvent(user: "u3", item: "old", partition: 0, offset: 10),
                ], keys: keys)
            #expect(try await connection.command(RedisCommand("HGET", keys.uptake, "new")).string == "2")
            #expect(try await connection.command(RedisCommand("HEXISTS", keys.uptake, "old")).integer == 0)

            // The script itself rejects a malformed argument with an error naming it.
            await #expect(throws: RedisError.self) {
                try await connection.evalScript(PrefixScript.script, keys: [key], arguments: ["x", "-1", "1", "32"])
            }
        }
    }

    @Test("a prefix keeps the newest 32 items and stays under 1 KB")
    func prefixTrimAndMemory() async throws {
        try await withRedisServer { server in
            let connection = RedisConnection(configuration: server.configuration())
            let keys = RedisKeys(namespace: "test")
            let events = (0..<40).map {
                PrefixEvent(user: "user:123456", item: "item:\(100_000 + $0 * 7)", partition: 0, offset: Int64($0))
            }
            let updates = try await connection.applyPrefixEvents(events, keys: keys)
            #expect(updates.last?.items == events.suffix(32).map(\.item))
            #expect(updates.map(\.items.count).max() == 32)
            let bytes = try await connection.command(RedisCommand("MEMORY", "USAGE", keys.prefix(user: "user:123456")))
            #expect((bytes.integer ?? .max) < 1024)
        }
    }

    @Test("scripts are reloaded automatically after SCRIPT FLUSH (NOSCRIPT)")
    func scriptReload() async throws {
        try await withRedisServer { server in
            let connection = RedisConnection(configuration: server.configuration())
            let keys = RedisKeys(namespace: "test")
            _ = try await connection.applyPrefixEvents(
                [PrefixEvent(user: "u", item: "a", partition: 0, offset: 1)], keys: keys)
            _ = try await connection.command(RedisCommand("SCRIPT", "FLUSH"))
            let updates = try await connection.applyPrefixEvents(
                (2..<6).map { PrefixEvent(user: "u", item: "i\($0)", partition: 0, offset: Int64($0)) }, keys: keys)
            #expect(updates.map(\.applied) == [true, true, true, true])
            #expect(updates.last?.items == ["a", "i2", "i3", "i4", "i5"])
        }
    }

    /// Claims `requests` through a ``RedisLevel3Claimer`` on a connection of `pool`.
    private static func claim(
        _ requests: [Level3ClaimRequest], capacity g3: Int, pool: RedisConnectionPool, keys: RedisKeys,
        frozen: HeldSIDs = HeldSIDs()
    ) async throws -> [Level3Claim] {
        try await pool.withConnection { connection in
            try await RedisLevel3Claimer(connection: connection, bundle: bundle, keys: keys, frozen: frozen)
                .claim(requests, capacity: g3)
        }
    }

    private static func group(_ c1: Int, _ c2: Int, _ candidates: [Int]) -> Level3CandidateGroup {
        Level3CandidateGroup(c1: c1, c2: c2, candidates: candidates)
    }

    @Test("concurrent level-3 claims never share a code, overflow past g3, and are stable")
    func concurrentClaims() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration()
            configuration.poolSize = 4
            configuration.pipelineDepth = 3  // several round trips per task, so tasks interleave
            let pool = RedisConnectionPool(configuration: configuration)
            let keys = RedisKeys(namespace: "test")
            let g3 = 8
            let itemsPerTask = 6
            // 4 tasks x 6 items = 24 items competing for 8 codes of one (c1, c2) group; every
            // task prefers the codes in a different order.
            let claims = try await withThrowingTaskGroup(of: [(String, Level3Claim)].self) { group in
                for task in 0..<4 {
                    group.addTask {
                        let requests = (0..<itemsPerTask).map { index in
                            Level3ClaimRequest(
                                item: "new-\(task)-\(index)",
                                groups: [Self.group(3, 5, (0..<g3).map { ($0 * (task + 1) + index) % g3 })])
                        }
                        let result = try await Self.claim(requests, capacity: g3, pool: pool, keys: keys)
                        return Array(zip(requests.map(\.item), result))
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claims.count == 24)
            let codes = claims.map(\.1.sid.c3)
            #expect(Set(codes).count == 24, "a level-3 code was handed out twice: \(codes.sorted())")
            #expect(Set(codes) == Set(0..<24), "8 candidate codes then overflow codes 8..<24")
            #expect(claims.allSatisfy { $0.1.newlyAssigned && $0.1.sid.c1 == 3 && $0.1.sid.c2 == 5 })

            // Claiming again (even with other candidates) returns the stored SID unchanged.
            let again = try await Self.claim(
                claims.map { Level3ClaimRequest(item: $0.0, groups: [Self.group(3, 5, [0, 1])]) }, capacity: g3,
                pool: pool, keys: keys)
            #expect(again.map(\.sid.c3) == codes)
            #expect(again.allSatisfy { !$0.newlyAssigned })

            // A new item whose preferred code is free gets exactly it, in another group.
            let other = try await Self.claim(
                [Level3ClaimRequest(item: "solo", groups: [Self.group(3, 6, [5, 2])])], capacity: g3, pool: pool,
                keys: keys)
            #expect(other == [Level3Claim(sid: SemanticID(3, 6, 5), newlyAssigned: true)])
        }
    }

    @Test(
        "two instances racing for one full group spill to its siblings in order, never share a code, and overflow last")
    func racingInstancesSpill() async throws {
        try await withRedisServer { server in
            // Two pools = two daemon instances against one server.
            let instances = (0..<2).map { _ in
                var configuration = server.configuration()
                configuration.poolSize = 2
                configuration.pipelineDepth = 2
                return RedisConnectionPool(configuration: configuration)
            }
            let keys = RedisKeys(namespace: "spill")
            let g3 = 6
            // The bundle's own items leave the own group (1, 2) 3 free codes, the nearest
            // sibling (1, 0) 2, the next parent's group (4, 2) 1: 6 trained slots for 20 items.
            // Every group offers all its codes; the claimer keeps the frozen ones from Redis.
            let frozenCodes = [(1, 2, [1, 2, 3]), (1, 0, [0, 2, 4, 5]), (4, 2, [0, 1, 3, 4, 5])]
            let frozen = try HeldSIDs(
                existing: frozenCodes.flatMap { c1, c2, codes in
                    codes.map { (item: "frozen-\(c1)-\(c2)-\($0)", sid: SemanticID(c1, c2, $0)) }
                })
            let groups = [
                Self.group(1, 2, [4, 0, 5, 1, 2, 3]), Self.group(1, 0, [3, 0, 1]), Self.group(4, 2, [2, 0]),
            ]
            let claims = try await withThrowingTaskGroup(of: [(String, Level3Claim)].self) { group in
                for task in 0..<4 {
                    group.addTask {
                        let requests = (0..<5).map { Level3ClaimRequest(item: "race-\(task)-\($0)", groups: groups) }
                        let result = try await Self.claim(
                            requests, capacity: g3, pool: instances[task % 2], keys: keys, frozen: frozen)
                        return Array(zip(requests.map(\.item), result))
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claims.count == 20)
            let sids = claims.map(\.1.sid)
            #expect(Set(sids).count == 20, "an SID was handed out twice: \(sids)")
            #expect(!sids.contains { frozen.isTaken($0) }, "a frozen item's SID was handed out")
            let trained: Set = [
                SemanticID(1, 2, 4), SemanticID(1, 2, 0), SemanticID(1, 2, 5), SemanticID(1, 0, 3),
                SemanticID(1, 0, 1), SemanticID(4, 2, 2),
            ]
            #expect(Set(sids.filter { $0.c3 < g3 }) == trained, "every free slot of the listed groups is used")
            #expect(
                Set(sids.filter { $0.c3 >= g3 }) == Set((g3..<(g3 + 14)).map { SemanticID(1, 2, $0) }),
                "overflow only in the own group")
            #expect(claims.filter { $0.1.spilled }.count == 3)
            #expect(claims.allSatisfy { $0.1.spilled == ($0.1.sid.c1 != 1 || $0.1.sid.c2 != 2) && $0.1.newlyAssigned })
            #expect(
                claims.allSatisfy {
                    ($0.1.groupRank == 1) == ($0.1.sid.c2 == 0) && ($0.1.groupRank == 2) == ($0.1.sid.c1 == 4)
                })

            // Asked again through the other instance, every item keeps its SID and its rank; a
            // frozen item is answered with its frozen SID.
            let again = try await Self.claim(
                claims.map { Level3ClaimRequest(item: $0.0, groups: groups) }
                    + [Level3ClaimRequest(item: "frozen-1-0-2", groups: groups)],
                capacity: g3, pool: instances[1], keys: keys, frozen: frozen)
            #expect(again.dropLast().map(\.sid) == sids)
            #expect(again.dropLast().map(\.groupRank) == claims.map(\.1.groupRank))
            #expect(again.allSatisfy { !$0.newlyAssigned })
            #expect(again.last == Level3Claim(sid: SemanticID(1, 0, 2), newlyAssigned: false, groupRank: 1))
        }
    }

    @Test("the Redis and the in-memory claimer give the same SIDs for the same claim sequence")
    func sameSIDsAsInMemory() async throws {
        // A seeded sequence over a small codebook (4 x 3 groups, g3 = 5) with frozen items, so
        // every rule is exercised: own group, spills, overflow, repeats and frozen items.
        let g3 = 5
        var random = SplitMix(state: 17)
        var existing: [(item: String, sid: SemanticID)] = []
        for c1 in 0..<4 {
            for c2 in 0..<3 {
                for c3 in 0..<g3 where random.next() % 3 == 0 {
                    existing.append(("frozen-\(existing.count)", SemanticID(c1, c2, c3)))
                }
            }
        }
        let frozen = try HeldSIDs(existing: existing)
        var batches: [[Level3ClaimRequest]] = []
        var items: [String] = []
        for batch in 0..<12 {
            var requests: [Level3ClaimRequest] = []
            for index in 0..<(1 + Int(random.next() % 9)) {
                let item: String
                switch random.next() % 10 {
                case 0 where !items.isEmpty: item = items[Int(random.next() % UInt64(items.count))]
                case 1: item = existing[Int(random.next() % UInt64(existing.count))].item
                default:
                    item = "new-\(batch)-\(index)"
                    items.append(item)
                }
                let own = (c1: Int(random.next() % 4), c2: Int(random.next() % 3))
                let spills = (0..<Int(random.next() % 3)).map { _ in
                    (c1: own.c1, c2: Int(random.next() % 3))
                }
                let groups = ([own] + spills).map { group in
                    Self.group(group.c1, group.c2, (0..<g3).shuffled(using: &random))
                }
                requests.append(Level3ClaimRequest(item: item, groups: groups))
            }
            batches.append(requests)
        }

        let inMemory = InMemoryLevel3Claimer(held: frozen)
        var expected: [Level3Claim] = []
        for batch in batches { expected += try await inMemory.claim(batch, capacity: g3) }
        let claimed = try await withRedisServer { server in
            let pool = RedisConnectionPool(configuration: server.configuration())
            var claims: [Level3Claim] = []
            for batch in batches {
                claims += try await Self.claim(
                    batch, capacity: g3, pool: pool, keys: RedisKeys(namespace: "same"), frozen: frozen)
            }
            return claims
        }
        #expect(claimed == expected)
        #expect(expected.contains { $0.spilled } && expected.contains { $0.isOverflow(capacity: g3) })
        #expect(expected.contains { !$0.newlyAssigned })
    }

    @Test("the Redis claimer refuses malformed requests and frozen overflow codes before sending anything")
    func claimRefusals() async throws {
        try await withRedisServer { server in
            let pool = RedisConnectionPool(configuration: server.configuration())
            let keys = RedisKeys(namespace: "refuse")
            func refusal(
                _ requests: [Level3ClaimRequest], frozen: HeldSIDs = HeldSIDs()
            ) async -> ServingStateError? {
                do {
                    _ = try await Self.claim(requests, capacity: 4, pool: pool, keys: keys, frozen: frozen)
                    return nil
                } catch {
                    return error as? ServingStateError
                }
            }
            let good = Level3ClaimRequest(item: "a", groups: [Self.group(0, 0, [1])])
            let bad = Level3ClaimRequest(item: "b", groups: [Self.group(0, 0, [1]), Self.group(0, 1, [4])])
            let refused = await refusal([good, bad])
            #expect(refused?.code == .invalidRequest && refused?.field == "groups[1].candidates")
            let overflowing = try HeldSIDs(existing: [(item: "f", sid: SemanticID(0, 0, 4))])
            #expect(await refusal([good], frozen: overflowing)?.code == .inconsistentState)
            // Nothing was claimed: the good request of the refused batch left no trace.
            let stored = try await pool.withConnection { try await $0.command(RedisCommand("DBSIZE")) }
            #expect(stored == .integer(0))
        }
    }

    /// The server runs with `appendfsync always` here on purpose: with persistence off (the test
    /// kit's default) a restarted server comes back empty, and the test could not tell lost
    /// acknowledged writes from the server's own amnesia. With every write fsynced before its
    /// reply, anything acknowledged must survive `SIGKILL`, so any loss would be the client's.
    @Test("after redis-server is killed and restarted, the client reconnects and nothing acknowledged is lost")
    func killAndRestart() async throws {
        try await withRedisServer(persistence: .appendOnlyFsyncAlways) { server in
            var configuration = server.configuration()
            configuration.poolSize = 2
            configuration.commandTimeout = .seconds(1)
            configuration.reconnect = ReconnectPolicy(
                initialDelay: .milliseconds(20), maxDelay: .milliseconds(200), giveUpAfter: .seconds(10))
            let pool = RedisConnectionPool(configuration: configuration)
            let keys = RedisKeys(namespace: "test")
            let users = 10
            let events = (0..<400).map { index in
                PrefixEvent(
                    user: "u\(index % users)", item: "item:\(index)", partition: Int32(index % users % 3),
                    offset: Int64(index))
            }
            let acknowledged = Atomic<Int>(0)

            async let writer: Int = {
                var retriedFailures = 0
                for event in events {
                    // One event per call, retried on connection errors: the script is idempotent.
                    while true {
                        do {
                            _ = try await pool.withConnection { try await $0.applyPrefixEvents([event], keys: keys) }
                            break
                        } catch let error as RedisError where error.isRetriable {
                            retriedFailures += 1
                        }
                    }
                    acknowledged.add(1, ordering: .relaxed)
                }
                return retriedFailures
            }()

            while acknowledged.load(ordering: .relaxed) < 120 { try await Task.sleep(for: .milliseconds(2)) }
            let acknowledgedBeforeKill = acknowledged.load(ordering: .relaxed)
            await server.kill()
            try await Task.sleep(for: .milliseconds(300))
            try await server.restart()
            let retriedFailures = try await writer

            #expect(acknowledgedBeforeKill >= 120)
            // Every event is in its user's prefix exactly once, in order, despite the restart.
            let connection = RedisConnection(configuration: configuration)
            for user in 0..<users {
                let expected = events.filter { $0.user == "u\(user)" }.suffix(32).map(\.item)
                let stored = try await connection.command(RedisCommand("GET", keys.prefix(user: "u\(user)")))
                let items = stored.string?.split(separator: "\u{1E}").last?.split(separator: "\u{1F}").map(String.init)
                #expect(items == expected, "user u\(user)")
            }
            let connects = try await pool.withConnection { await $0.connectCount }
            #expect(connects >= 2, "the pooled connection reconnected")
            #expect(retriedFailures >= 1, "the writer saw the outage")
        }
    }
}

/// A seeded generator (SplitMix64), so the claim sequence is the same on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
