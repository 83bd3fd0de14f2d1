import Dispatch
import Foundation

/// Waits for a child to exit without reaping it (swift-subprocess reaps it afterwards) and
/// without holding a thread: Dispatch's event loop watches the child's process descriptor,
/// which becomes readable when the child exits.
enum ProcessExit {
    private static let queue = DispatchQueue(label: "resid.supervision.exit")

    /// Returns once the process behind `descriptor` (a pidfd) has exited; with no descriptor
    /// (kernels before 5.4) it polls `waitid` for `processID` without reaping.
    static func wait(descriptor: Int32, processID: Int32) async {
        guard descriptor >= 0 else {
            while !hasExited(processID) { try? await Task.sleep(for: .milliseconds(20)) }
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
            // Resumed from the cancel handler: the descriptor must stay open until Dispatch
            // has let go of it, and swift-subprocess closes it once the caller returns.
            source.setEventHandler { source.cancel() }
            source.setCancelHandler { continuation.resume() }
            source.resume()
        }
    }

    private static func hasExited(_ processID: Int32) -> Bool {
        // With WNOHANG and no exit yet, waitid succeeds and leaves `info` zeroed.
        var info = siginfo_t()
        return waitid(P_PID, id_t(processID), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo == SIGCHLD
    }
}
