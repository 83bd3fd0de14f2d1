import Foundation
import Subprocess
import Synchronization
import SystemPackage

/// A child process supervised from launch to exit: signals, readiness, graceful termination,
/// and an exit that is awaited, never blocked on.
///
/// Built on swift-subprocess, whose `run(…body:)` keeps a child for as long as its closure
/// runs. Here that closure runs in a detached task for the child's whole life: it takes signal
/// requests from a stream and returns once the child has exited, which ``ProcessExit`` learns
/// from the child's process descriptor. Nothing waits on a cooperative-pool thread: Dispatch's
/// event loop and swift-subprocess's monitor thread do the waiting. Signals go through the
/// process descriptor too, so none can reach a recycled process id.
///
/// Without ``terminate(gracePeriod:)`` or ``kill()``, the child is killed (`SIGKILL`) when
/// this object goes away.
public final class ChildProcess: Sendable {
    /// The child's process id.
    public let processID: Int32
    /// What was started.
    public let command: ChildCommand

    let requests: AsyncStream<Request>.Continuation
    let exit: Task<ChildExit, Never>
    let record: ExitRecord
    let capture: CapturedOutput?

    enum Request: Sendable {
        case signal(Int32)
        case closeInput
    }

    /// The status, once the exit task has it; readable without waiting.
    final class ExitRecord: Sendable {
        let status = Mutex<ChildExit?>(nil)
    }

    private init(
        processID: Int32, command: ChildCommand, requests: AsyncStream<Request>.Continuation,
        exit: Task<ChildExit, Never>,
        record: ExitRecord, capture: CapturedOutput?
    ) {
        self.processID = processID
        self.command = command
        self.requests = requests
        self.exit = exit
        self.record = record
        self.capture = capture
    }

    deinit {
        requests.yield(.signal(SIGKILL))
        requests.finish()
    }
}

// MARK: - Launch

extension ChildProcess {
    /// Starts `command` and returns once the child is running.
    ///
    /// - Throws: ``ChildProcessError`` when the program cannot be started.
    public static func launch(_ command: ChildCommand) async throws -> ChildProcess {
        let capture = [command.standardOutput, command.standardError].contains(.captured) ? try CapturedOutput() : nil
        let output = try Self.descriptor(for: command.standardOutput, capture: capture)
        let error = try Self.descriptor(for: command.standardError, capture: capture)
        let (requests, requestsContinuation) = AsyncStream.makeStream(of: Request.self)
        let (launches, launchesContinuation) = AsyncThrowingStream.makeStream(of: Int32.self)
        let record = ExitRecord()
        let exit = Task.detached {
            let status = await Self.supervise(
                command, output: output, error: error, requests: requests, launched: launchesContinuation)
            record.status.withLock { $0 = status }
            return status
        }
        let processID: Int32
        do {
            var iterator = launches.makeAsyncIterator()
            guard let launched = try await iterator.next() else {
                throw ChildProcessError("\(command.name) did not start")
            }
            processID = launched
        } catch let failure as ChildProcessError {
            throw failure
        } catch {
            throw ChildProcessError("cannot start \(command.name) (\(command.executable.path)): \(error)")
        }
        return ChildProcess(
            processID: processID, command: command, requests: requestsContinuation, exit: exit, record: record,
            capture: capture)
    }

    /// Runs `command` to the end; its captured output (see ``OutputDestination/captured``) is in
    /// the result.
    ///
    /// - Throws: ``ChildProcessError`` when the program cannot be started.
    public static func run(_ command: ChildCommand) async throws -> (status: ChildExit, output: String) {
        let child = try await launch(command)
        let status = await child.waitForExit()
        return (status, child.capturedOutput)
    }

    private static func descriptor(
        for destination: OutputDestination, capture: CapturedOutput?
    ) throws -> (FileDescriptor, close: Bool) {
        let path: String
        switch destination {
        case .discarded: path = "/dev/null"
        case .captured: path = capture?.url.path ?? "/dev/null"
        case .file(let url): path = url.path
        case .parentStandardError: return (.standardError, false)
        }
        do {
            let descriptor = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.append, .create, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
            return (descriptor, true)
        } catch {
            throw ChildProcessError("cannot open \(path) for a child's output: \(error)")
        }
    }

    /// The child's whole life: the swift-subprocess call that starts it, handles requests while
    /// it runs and returns its status once it has exited and been reaped.
    private static func supervise(
        _ command: ChildCommand, output: (FileDescriptor, close: Bool), error: (FileDescriptor, close: Bool),
        requests: AsyncStream<Request>, launched: AsyncThrowingStream<Int32, any Error>.Continuation
    ) async -> ChildExit {
        let environment: Environment =
            command.environment.map { variables in
                .custom(
                    Dictionary(
                        uniqueKeysWithValues: variables.compactMap { key, value in
                            Environment.Key(rawValue: key).map { ($0, value) }
                        }))
            } ?? .inherit
        do {
            let result = try await Subprocess.run(
                .path(FilePath(command.executable.path)), arguments: Arguments(command.arguments),
                environment: environment,
                workingDirectory: command.workingDirectory.map { FilePath($0.path) },
                input: .inputWriter,
                output: .fileDescriptor(output.0, closeAfterSpawningProcess: output.close),
                error: .fileDescriptor(error.0, closeAfterSpawningProcess: error.close)
            ) { execution in
                launched.yield(execution.processIdentifier.value)
                launched.finish()
                if !command.keepsStandardInputOpen { try? await execution.standardInputWriter.finish() }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await request in requests {
                            switch request {
                            case .signal(let number): try? execution.send(signal: Signal(rawValue: number))
                            case .closeInput: try? await execution.standardInputWriter.finish()
                            }
                        }
                    }
                    await ProcessExit.wait(
                        descriptor: execution.processIdentifier.processDescriptor,
                        processID: execution.processIdentifier.value)
                    group.cancelAll()
                }
            }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signalled(signal)
            }
        } catch {
            // Before the launch this reaches `launch`; after it, finishing again does nothing.
            launched.finish(throwing: error)
            return .unobserved
        }
    }
}
