import Dispatch

/// A serial dispatch queue for the daemon's blocking work: cold-start encoding (the FAMAE's
/// GEMMs), bundle loading and hashing on reload, decode passes.
///
/// Why: Swift's cooperative pool has one thread per core, and the daemon's event loop, HTTP
/// probes and Kafka/Redis clients all run on it. Work that holds a thread for tens or hundreds
/// of milliseconds there delays every other task, health probes included; on a queue of its own
/// it only delays the task that awaits it.
struct BlockingQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue and resumes the caller with its result.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Swift.Result { try body() }) }
        }
    }

    /// Runs non-throwing `body` on the queue and resumes the caller with its result.
    func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
