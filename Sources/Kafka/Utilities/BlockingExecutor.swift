import Dispatch

/// Runs blocking librdkafka calls (polls with a timeout, flush, synchronous commits) on a
/// dedicated serial dispatch queue so they never occupy Swift's cooperative thread pool.
struct BlockingExecutor: Sendable {
    fileprivate let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

extension BlockingExecutor {
    /// Schedules `body` on the queue without waiting for it.
    func async(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}
