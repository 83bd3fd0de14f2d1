import CRdKafka
import Dispatch
import Synchronization

/// Wakes a consumer's reader when librdkafka puts the first event into the empty consumer queue
/// (`rd_kafka_queue_cb_event_enable`), so the waiting task resumes straight from the librdkafka
/// thread that fetched the message.
///
/// A reader blocked in `rd_kafka_consumer_poll` on a thread of its own costs two thread wake-ups
/// per message: librdkafka signals the polling thread, which then resumes the awaiting task on the
/// cooperative pool. Here the task drains the queue without blocking and, when it is empty, waits
/// for this signal, so only the task's thread wakes. The signal is edge-triggered (empty to not
/// empty): one that arrives while nobody waits is remembered, and every wait also ends after a
/// timeout, so a missed signal delays a message by at most that timeout and the consumer still
/// polls often enough for `max.poll.interval.ms`.
final class ConsumerQueueWakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Called by librdkafka (with the queue's lock held: no librdkafka calls here).
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at once if a signal came since the last wait, otherwise at the next signal, after
    /// `timeout`, or when the task is cancelled.
    func wait(timeout: Duration) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let generation = state.withLock { state -> UInt64? in
                    if state.signalled || Task.isCancelled {
                        state.signalled = false
                        return nil
                    }
                    state.generation &+= 1
                    state.waiter = continuation
                    return state.generation
                }
                guard let generation else {
                    continuation.resume()
                    return
                }
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
                    release(generation: generation)
                }
            }
        } onCancel: {
            release(generation: nil)
        }
    }

    /// Resumes the waiter of `generation` (any waiter for `nil`) if it still waits.
    private func release(generation: UInt64?) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, generation == nil || generation == state.generation else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Turns the signal on for `queue`; `self` must outlive ``disable(on:)``.
    func enable(on queue: OpaquePointer) {
        rd_kafka_queue_cb_event_enable(queue, consumerQueueEventCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Turns the signal off; librdkafka calls nothing here afterwards.
    func disable(on queue: OpaquePointer) {
        rd_kafka_queue_cb_event_enable(queue, nil, nil)
    }
}

/// librdkafka's queue event callback: finds the wake-up through its opaque pointer.
private let consumerQueueEventCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Void = {
    _, opaque in
    guard let opaque else { return }
    Unmanaged<ConsumerQueueWakeup>.fromOpaque(opaque).takeUnretainedValue().signal()
}
