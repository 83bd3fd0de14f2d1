import Synchronization

/// Matches delivery reports to the tasks awaiting them. Each produced message carries a
/// numeric id as its librdkafka opaque; the delivery callback completes the waiter for that id.
final class DeliveryTracker: Sendable {
    enum Waiter: Sendable {
        case single(CheckedContinuation<KafkaDeliveryReport, Never>)
        case batch(DeliveryBatch, index: Int)
    }

    private struct State {
        var nextID: UInt64 = 1
        var waiters: [UInt64: Waiter] = [:]
        var isShutDown = false
    }

    private let state = Mutex(State())

    /// Registers a waiter and returns the id to pass as the message opaque, or `nil` after
    /// ``failAll(with:)`` (the producer is gone).
    func register(_ waiter: Waiter) -> UInt64? {
        state.withLock { state in
            guard !state.isShutDown else { return nil }
            let id = state.nextID
            state.nextID &+= 1
            state.waiters[id] = waiter
            return id
        }
    }

    /// Completes the waiter for `id` (called from the delivery callback or on enqueue failure).
    func complete(id: UInt64, with report: KafkaDeliveryReport) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        switch waiter {
        case .single(let continuation): continuation.resume(returning: report)
        case .batch(let batch, let index): batch.fill(index, with: report)
        }
    }

    /// Forgets the waiter for `id` without completing it: its message was not enqueued after all
    /// and is registered again when it is.
    func withdraw(id: UInt64) {
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }

    /// Number of messages still awaiting a report.
    var pendingCount: Int { state.withLock { $0.waiters.count } }

    /// Fails every outstanding waiter (the client is being destroyed) and refuses new ones.
    func failAll(with error: KafkaError) {
        let waiters = state.withLock { state in
            state.isShutDown = true
            defer { state.waiters.removeAll() }
            return state.waiters.values
        }
        for waiter in waiters {
            let report = KafkaDeliveryReport(topic: "", partition: -1, offset: nil, error: error)
            switch waiter {
            case .single(let continuation): continuation.resume(returning: report)
            case .batch(let batch, let index): batch.fill(index, with: report)
            }
        }
    }
}

/// Collects the reports of one batch and resumes its waiter when the last one arrives.
final class DeliveryBatch: Sendable {
    private struct State {
        var reports: [KafkaDeliveryReport?]
        var remaining: Int
        var continuation: CheckedContinuation<[KafkaDeliveryReport], Never>?
    }

    private let state: Mutex<State>

    init(count: Int, continuation: CheckedContinuation<[KafkaDeliveryReport], Never>) {
        state = Mutex(State(reports: Array(repeating: nil, count: count), remaining: count, continuation: continuation))
    }

    func fill(_ index: Int, with report: KafkaDeliveryReport) {
        let finished: (CheckedContinuation<[KafkaDeliveryReport], Never>, [KafkaDeliveryReport])? =
            state.withLock { state in
                guard state.reports[index] == nil else { return nil }
                state.reports[index] = report
                state.remaining -= 1
                guard state.remaining == 0, let continuation = state.continuation else { return nil }
                state.continuation = nil
                return (continuation, state.reports.compactMap { $0 })
            }
        if let (continuation, reports) = finished {
            continuation.resume(returning: reports)
        }
    }
}
