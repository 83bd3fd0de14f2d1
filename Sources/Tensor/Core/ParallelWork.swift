import Dispatch

/// Runs independent jobs on a bounded number of threads and returns their results in job order.
///
/// Jobs are dealt to workers by index (`worker w` runs jobs `w, w + workers, ...`) and each result
/// lands in its own slot, so the output never depends on scheduling. OpenBLAS is switched to one
/// thread for the duration: its thread count is process-wide, and nested BLAS threads would
/// oversubscribe the cores the workers already use.
public enum ParallelWork {
    public static func map<T: Sendable>(count: Int, workers: Int, _ job: @Sendable (Int) throws -> T) throws -> [T] {
        guard count > 0 else { return [] }
        let workers = max(1, min(workers, count))
        let slots = Slots<T>(count: count)
        let savedThreads = BLAS.threads
        if workers > 1 { BLAS.setThreads(1) }
        defer { if workers > 1 { BLAS.setThreads(savedThreads) } }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: count, by: workers) {
                slots.store(index, Result { try job(index) })
            }
        }
        return try slots.collect()
    }

    /// One write-once slot per job. Each index is written by exactly one worker and read only after
    /// `concurrentPerform` has returned, which is why unsynchronised access is safe here.
    private final class Slots<T>: @unchecked Sendable {
        private let base: UnsafeMutablePointer<Result<T, any Error>?>
        private let count: Int

        init(count: Int) {
            base = .allocate(capacity: count)
            base.initialize(repeating: nil, count: count)
            self.count = count
        }

        deinit {
            base.deinitialize(count: count)
            base.deallocate()
        }

        func store(_ index: Int, _ value: Result<T, any Error>) { base[index] = value }

        func collect() throws -> [T] {
            try (0..<count).map { try base[$0]!.get() }
        }
    }
}
