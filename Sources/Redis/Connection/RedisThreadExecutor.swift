import Foundation

/// A serial executor that runs its jobs on one dedicated thread.
///
/// Each ``RedisConnection`` runs on its own instance, so a blocking hiredis round trip (or a
/// reconnect back-off sleep) holds that thread only, never a thread of Swift's cooperative pool.
///
/// `@unchecked Sendable`: all mutable state (the job queue and the stop flag) is guarded by
/// `condition`; the thread identity is written once before any job can run.
final class RedisThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var thread: pthread_t?

    /// Starts the thread.
    /// - Parameter name: The thread name shown by debuggers and `top -H` (at most 15 bytes).
    init(name: String) {
        let ready = DispatchSemaphore(value: 0)
        let worker = Thread { [self] in
            thread = pthread_self()
            ready.signal()
            runLoop()
        }
        worker.name = String(name.prefix(15))
        // hiredis needs little stack; a small one keeps many pooled connections cheap.
        worker.stackSize = 256 * 1024
        worker.start()
        ready.wait()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        guard let thread, pthread_equal(thread, pthread_self()) != 0 else {
            fatalError("RedisThreadExecutor: not on the connection's thread")
        }
    }

    /// Lets the thread exit once the jobs already queued have run.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
