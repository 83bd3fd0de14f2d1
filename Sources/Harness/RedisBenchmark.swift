import Foundation
import LocalServers
import Redis
import ServingState
import Supervision
import Tensor

/// What `resid bench redis` measures: pipelined prefix-script calls per second through our client,
/// against a private redis-server started for the run, with `redis-benchmark` (the C reference
/// client) measured on the same server in the same run as the anchor.
///
/// Five figures per trial, interleaved so machine noise hits them alike, all with the same
/// pipeline depth and connection count, over the same warmed-up 32-item prefixes:
/// - ours, prefix updates that apply: ``RedisConnection/applyPrefixEvents(_:keys:maxItems:)``;
/// - ours and redis-benchmark, prefix replays: the same EVALSHA with an old offset (the
///   script reads the prefix and returns it unchanged). redis-benchmark cannot send per-user
///   increasing offsets, so the replay is the script call both clients can send identically;
/// - ours and redis-benchmark, LPUSH to per-user lists: a plain command, for client overhead.
public struct RedisBenchmark {
    /// Distinct users (synthetic, uniform).
    public var users = 5000

    /// Prefix updates per trial.
    public var events = 200_000

    /// Commands per pipelined round trip (also redis-benchmark -P).
    public var pipeline = 64

    /// Parallel connections (also redis-benchmark -c).
    public var clients = 4

    /// Trials; every trial is reported, with the median.
    public var trials = 3

    /// Seed of the synthetic workload.
    public var seed: UInt64 = 7

    /// The defaults of `resid bench redis`.
    public init() {}

    public struct Trial: Codable {
        public var oursPrefixAppliedCallsPerSecond: Double
        public var oursPrefixReplayCallsPerSecond: Double
        public var redisBenchmarkPrefixReplayCallsPerSecond: Double
        public var oursLpushCallsPerSecond: Double
        public var redisBenchmarkLpushCallsPerSecond: Double
    }

    public struct Report: Codable {
        public var benchmark = "redis"
        public var data = "synthetic: uniform random users and items, per-user increasing offsets"
        public var redisServerVersion: String
        public var config: Config
        public var trials: [Trial]
        public var median: Trial
        /// ours (updates that apply) / redis-benchmark (replays of the same script).
        public var ratioOursPrefixAppliedToRedisBenchmarkPrefixReplay: Double
        /// ours / redis-benchmark, identical replay calls.
        public var ratioOursPrefixReplayToRedisBenchmarkPrefixReplay: Double
        /// ours / redis-benchmark, identical LPUSH calls.
        public var ratioOursLpushToRedisBenchmarkLpush: Double
        public var prefixUpdatesApplied: Int
        public var prefixUpdatesSent: Int
        public var memory: Memory
        /// 1-minute load average at the start and the end: other work on this machine competes
        /// with the server and both clients for 2 cores.
        public var loadAverageAtStart: Double?
        public var loadAverageAtEnd: Double?
    }

    public struct Config: Codable {
        public var users: Int
        public var eventsPerTrial: Int
        public var pipelineDepth: Int
        public var clients: Int
        public var prefixLength: Int
        public var itemKeyExample: String
        public var userKeyExample: String
        public var redisBenchmarkPrefixReplayCommand: String
        public var redisBenchmarkLpushCommand: String
        public var note: String
    }

    public struct Memory: Codable {
        public var memoryUsageBytesOf32ItemPrefix: Int
        public var meanMemoryUsageBytesOver100Prefixes: Double
        public var usedMemoryBytesPerUserAfterWarmup: Double
    }

    /// Starts a private redis-server, runs the trials and returns the report; progress goes to
    /// standard error.
    public func run() async throws -> Report {
        guard let benchmarkTool = ExecutableSearch.find("redis-benchmark") else {
            throw InvalidSettings("redis-benchmark is not on PATH; install redis-tools (Deploy/setup.sh)")
        }
        let loadAtStart = Self.loadAverage()
        return try await withRedisServer { server in
            try await run(on: server, benchmarkTool: benchmarkTool, loadAtStart: loadAtStart)
        }
    }

    private func run(on server: RedisServer, benchmarkTool: URL, loadAtStart: Double?) async throws -> Report {
        var configuration = server.configuration(namespace: "bench")
        configuration.poolSize = clients
        configuration.pipelineDepth = pipeline
        configuration.commandTimeout = .seconds(30)
        let pool = RedisConnectionPool(configuration: configuration)
        try await pool.connectAll()
        let keys = RedisKeys(namespace: "bench")
        let admin = RedisConnection(configuration: configuration)
        let version = try await Self.info(admin, section: "server", field: "redis_version") ?? "unknown"

        var workload = RedisBenchWorkload(users: users, seed: seed)
        progress("warm-up: filling \(users) prefixes to \(configuration.prefixLength) items")
        let usedBefore = try await Self.info(admin, section: "memory", field: "used_memory").flatMap(Double.init) ?? 0
        _ = try await runPrefix(workload.warmUp(length: configuration.prefixLength), pool: pool, keys: keys)
        let usedAfter = try await Self.info(admin, section: "memory", field: "used_memory").flatMap(Double.init) ?? 0
        let memory = try await measureMemory(
            admin: admin, keys: keys, workload: workload, usedDelta: usedAfter - usedBefore)

        let sha = try await admin.command(RedisCommand("SCRIPT", "LOAD", PrefixScript.script.source)).string ?? ""
        let common = [
            "-h", "127.0.0.1", "-p", String(server.port), "-P", String(pipeline), "-c", String(clients),
            "-n", String(events), "-r", String(users), "--csv",
        ]
        // redis-benchmark writes __rand_int__ as 12 zero-padded digits, as RedisBenchWorkload.userKey does.
        let replayArguments =
            common + [
                "EVALSHA", sha, "1", keys.prefix(user: "user:__rand_int__"), "item:123456", "0", "0",
                String(configuration.prefixLength),
            ]
        let lpushArguments = common + ["LPUSH", "resid:bench:list:user:__rand_int__", "item:123456"]
        var results: [Trial] = []
        var applied = 0
        var sent = 0
        for trial in 1...trials {
            let batches = workload.next(events: events, clients: clients)
            let prefix = try await runPrefix(batches, pool: pool, keys: keys)
            applied += prefix.applied
            sent += events
            let replays = batches.map {
                $0.map { PrefixEvent(user: $0.user, item: "item:123456", partition: 0, offset: 0) }
            }
            let replay = try await runPrefix(replays, pool: pool, keys: keys)
            guard replay.applied == 0 else { throw InvalidSettings("a replayed prefix event applied") }
            let referenceReplay = try await Self.runRedisBenchmark(benchmarkTool, arguments: replayArguments)
            let lpush = try await runLpush(batches, pool: pool)
            let referenceLpush = try await Self.runRedisBenchmark(benchmarkTool, arguments: lpushArguments)
            let result = Trial(
                oursPrefixAppliedCallsPerSecond: Double(events) / prefix.seconds,
                oursPrefixReplayCallsPerSecond: Double(events) / replay.seconds,
                redisBenchmarkPrefixReplayCallsPerSecond: referenceReplay,
                oursLpushCallsPerSecond: Double(events) / lpush,
                redisBenchmarkLpushCallsPerSecond: referenceLpush)
            results.append(result)
            progress(
                "trial \(trial)/\(trials): prefix applied \(Int(result.oursPrefixAppliedCallsPerSecond))/s, "
                    + "replay ours \(Int(result.oursPrefixReplayCallsPerSecond))/s vs redis-benchmark "
                    + "\(Int(result.redisBenchmarkPrefixReplayCallsPerSecond))/s, LPUSH ours "
                    + "\(Int(result.oursLpushCallsPerSecond))/s vs redis-benchmark \(Int(result.redisBenchmarkLpushCallsPerSecond))/s"
            )
        }
        let median = Trial(
            oursPrefixAppliedCallsPerSecond: Self.median(results.map(\.oursPrefixAppliedCallsPerSecond)),
            oursPrefixReplayCallsPerSecond: Self.median(results.map(\.oursPrefixReplayCallsPerSecond)),
            redisBenchmarkPrefixReplayCallsPerSecond: Self.median(
                results.map(\.redisBenchmarkPrefixReplayCallsPerSecond)),
            oursLpushCallsPerSecond: Self.median(results.map(\.oursLpushCallsPerSecond)),
            redisBenchmarkLpushCallsPerSecond: Self.median(results.map(\.redisBenchmarkLpushCallsPerSecond)))
        let report = Report(
            redisServerVersion: version,
            config: Config(
                users: users, eventsPerTrial: events, pipelineDepth: pipeline, clients: clients,
                prefixLength: configuration.prefixLength, itemKeyExample: RedisBenchWorkload.itemKey(123_456),
                userKeyExample: keys.prefix(user: RedisBenchWorkload.userKey(42)),
                redisBenchmarkPrefixReplayCommand: "redis-benchmark " + replayArguments.joined(separator: " "),
                redisBenchmarkLpushCommand: "redis-benchmark " + lpushArguments.joined(separator: " "),
                note: "server, our client threads and redis-benchmark share this machine's cores; "
                    + "ours uses one thread per connection, redis-benchmark one event-loop thread"),
            trials: results, median: median,
            ratioOursPrefixAppliedToRedisBenchmarkPrefixReplay: median.oursPrefixAppliedCallsPerSecond
                / median.redisBenchmarkPrefixReplayCallsPerSecond,
            ratioOursPrefixReplayToRedisBenchmarkPrefixReplay: median.oursPrefixReplayCallsPerSecond
                / median.redisBenchmarkPrefixReplayCallsPerSecond,
            ratioOursLpushToRedisBenchmarkLpush: median.oursLpushCallsPerSecond
                / median.redisBenchmarkLpushCallsPerSecond,
            prefixUpdatesApplied: applied, prefixUpdatesSent: sent, memory: memory,
            loadAverageAtStart: loadAtStart, loadAverageAtEnd: Self.loadAverage())
        return report
    }

    // MARK: - Runs

    /// Runs every client's events through its own pooled connection; returns seconds and the
    /// number of updates that applied.
    private func runPrefix(
        _ batches: [[PrefixEvent]], pool: RedisConnectionPool, keys: RedisKeys
    ) async throws
        -> (seconds: Double, applied: Int)
    {
        let watch = Stopwatch()
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for batch in batches {
                group.addTask {
                    try await pool.withConnection { connection in
                        try await connection.applyPrefixEvents(batch, keys: keys).reduce(0) {
                            $0 + ($1.applied ? 1 : 0)
                        }
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        return (watch.elapsed, applied)
    }

    private func runLpush(_ batches: [[PrefixEvent]], pool: RedisConnectionPool) async throws -> Double {
        let depth = pipeline
        let commands = batches.map { batch in
            batch.map { RedisCommand("LPUSH", "resid:bench:list:" + $0.user, $0.item) }
        }
        let watch = Stopwatch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in commands {
                group.addTask {
                    try await pool.withConnection { connection in
                        var start = 0
                        while start < batch.count {
                            let end = min(start + depth, batch.count)
                            let replies = try await connection.pipeline(Array(batch[start..<end]))
                            if let failure = replies.first(where: { $0.errorMessage != nil }) {
                                throw RedisError(.serverError, "LPUSH failed: \(failure)")
                            }
                            start = end
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        // The lists stay (LPUSH costs the same on any length); deleting them with FLUSHDB would
        // also empty the prefixes that the next trial's prefix run expects at steady state.
        return watch.elapsed
    }

    private func measureMemory(
        admin: RedisConnection, keys: RedisKeys, workload: RedisBenchWorkload, usedDelta: Double
    )
        async throws -> Memory
    {
        let sample = (0..<min(100, users)).map {
            keys.prefix(user: RedisBenchWorkload.userKey($0 * max(1, users / 100)))
        }
        var sizes: [Int] = []
        for key in sample {
            let reply = try await admin.command(RedisCommand("MEMORY", "USAGE", key, "SAMPLES", "0"))
            if let bytes = reply.integer { sizes.append(Int(bytes)) }
        }
        let first = sizes.first ?? 0
        return Memory(
            memoryUsageBytesOf32ItemPrefix: first,
            meanMemoryUsageBytesOver100Prefixes: sizes.isEmpty ? 0 : Double(sizes.reduce(0, +)) / Double(sizes.count),
            usedMemoryBytesPerUserAfterWarmup: usedDelta / Double(users))
    }

    // MARK: - Helpers

    private static func runRedisBenchmark(_ tool: URL, arguments: [String]) async throws -> Double {
        var command = ChildCommand(tool, arguments)
        command.standardOutput = .captured
        let text = try await ChildProcess.run(command).output
        // CSV: "test","rps",...; the figure is the second field of the data line.
        guard let line = text.split(separator: "\n").last(where: { !$0.hasPrefix("\"test\"") && $0.contains(",") })
        else {
            throw InvalidSettings("redis-benchmark printed no result:\n\(text)")
        }
        // The figure is the second quoted field.
        let fields = line.split(separator: "\",\"").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        guard fields.count > 1, let rps = Double(fields[1]) else {
            throw InvalidSettings("cannot read redis-benchmark's figure from `\(line)`")
        }
        return rps
    }

    private static func info(_ connection: RedisConnection, section: String, field: String) async throws -> String? {
        let text = try await connection.command(RedisCommand("INFO", section)).string ?? ""
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return nil
    }

    private static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Data("bench redis: \(line)\n".utf8))
    }
}
