import Foundation
import Synchronization

extension ChildProcess {
    /// Whether the child has not been seen to exit yet.
    public var isRunning: Bool { exitStatus == nil }

    /// How the child ended, or `nil` while it runs.
    public var exitStatus: ChildExit? { record.status.withLock { $0 } }

    /// Everything the child wrote to its ``OutputDestination/captured`` streams so far.
    public var capturedOutput: String { capture?.text ?? "" }

    /// Sends `signal` (ignored once the child has exited).
    public func send(signal: Int32) {
        requests.yield(.signal(signal))
    }

    /// Closes the child's standard input (see ``ChildCommand/keepsStandardInputOpen``).
    public func closeStandardInput() {
        requests.yield(.closeInput)
    }

    /// Waits until the child has exited and been reaped.
    public func waitForExit() async -> ChildExit {
        await exit.value
    }

    /// Waits at most `timeout` for the child to exit; `nil` if it still runs.
    public func waitForExit(timeout: Duration) async -> ChildExit? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exitStatus
    }

    /// Asks the child to stop (end of standard input and `SIGTERM`), kills it (`SIGKILL`) if it
    /// still runs after `gracePeriod`, and waits for its exit.
    @discardableResult
    public func terminate(gracePeriod: Duration) async -> ChildExit {
        closeStandardInput()
        send(signal: SIGTERM)
        if let status = await waitForExit(timeout: gracePeriod) { return status }
        return await kill()
    }

    /// Kills the child (`SIGKILL`) and waits for its exit.
    @discardableResult
    public func kill() async -> ChildExit {
        send(signal: SIGKILL)
        return await waitForExit()
    }

    /// Polls `isReady` every `interval` until it answers `true`.
    ///
    /// - Throws: ``ChildProcessError`` naming `readiness` when the child exits first or
    ///   `timeout` passes (with the end of its captured output), or what `isReady` throws.
    public func waitUntilReady(
        _ readiness: String, timeout: Duration, interval: Duration = .milliseconds(20),
        _ isReady: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await isReady() { return }
            if let status = exitStatus {
                throw ChildProcessError("\(command.name) ended (\(status)) before \(readiness)\(outputTail)")
            }
            if ContinuousClock.now >= deadline {
                throw ChildProcessError("\(command.name) was not \(readiness) within \(timeout)\(outputTail)")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// The end of the captured output, for error messages (empty when nothing was captured).
    public var outputTail: String {
        let text = capturedOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ":\n\(text.suffix(2000))"
    }
}
