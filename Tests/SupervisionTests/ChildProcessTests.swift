import Foundation
import Supervision
import Testing

/// ``ChildProcess`` against `/bin/sh` children: output, environment, signals, readiness,
/// graceful stop and the kill after the grace period.
@Suite("ChildProcess (process)")
struct ChildProcessTests {
    static func shell(_ script: String) -> ChildCommand {
        var command = ChildCommand(URL(fileURLWithPath: "/bin/sh"), ["-c", script], name: "sh")
        command.standardOutput = .captured
        command.standardError = .captured
        return command
    }

    @Test("run captures both streams and the exit code")
    func runCapturesOutputAndStatus() async throws {
        let result = try await ChildProcess.run(Self.shell("echo out; echo err >&2; exit 3"))
        #expect(result.status == .exited(3))
        #expect(result.output.contains("out") && result.output.contains("err"), "\(result.output)")
    }

    @Test("the environment and working directory are the command's")
    func environmentAndDirectory() async throws {
        var command = Self.shell("echo \"$ONLY_THIS:$HOME\"; pwd")
        command.environment = ["ONLY_THIS": "yes"]
        command.workingDirectory = URL(fileURLWithPath: "/tmp")
        let result = try await ChildProcess.run(command)
        #expect(result.status.isSuccess)
        #expect(result.output.contains("yes:\n") && result.output.contains("/tmp"), "\(result.output)")
    }

    @Test("a missing program is a launch error naming it")
    func missingProgram() async throws {
        let command = ChildCommand(URL(fileURLWithPath: "/no/such/program"), [], name: "ghost")
        await #expect(throws: ChildProcessError.self) { try await ChildProcess.launch(command) }
    }

    @Test("SIGTERM ends a child that honours it, within the grace period")
    func gracefulTermination() async throws {
        let child = try await ChildProcess.launch(Self.shell("trap 'exit 7' TERM; while :; do sleep 0.05; done"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(child.isRunning)
        #expect(await child.terminate(gracePeriod: .seconds(10)) == .exited(7))
        #expect(!child.isRunning)
    }

    @Test("a child that ignores SIGTERM is killed after the grace period")
    func killAfterGracePeriod() async throws {
        let child = try await ChildProcess.launch(Self.shell("trap '' TERM; while :; do sleep 0.05; done"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(await child.terminate(gracePeriod: .milliseconds(300)) == .signalled(SIGKILL))
    }

    @Test("a child kept on an open standard input exits when it is closed")
    func standardInputEndOfFile() async throws {
        var command = Self.shell("cat >/dev/null; echo eof")
        command.keepsStandardInputOpen = true
        let child = try await ChildProcess.launch(command)
        #expect(await child.waitForExit(timeout: .milliseconds(300)) == nil)
        child.closeStandardInput()
        #expect(await child.waitForExit() == .exited(0))
        #expect(child.capturedOutput.contains("eof"))
    }

    @Test("readiness waits for the condition, and fails with the output when the child exits first")
    func readiness() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("resid-ready-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: marker) }
        let child = try await ChildProcess.launch(Self.shell("sleep 0.2; touch '\(marker.path)'; sleep 30"))
        try await child.waitUntilReady("marked", timeout: .seconds(20)) {
            FileManager.default.fileExists(atPath: marker.path)
        }
        await child.kill()

        let failing = try await ChildProcess.launch(Self.shell("echo broken config >&2; exit 2"))
        let error = await #expect(throws: ChildProcessError.self) {
            try await failing.waitUntilReady("listening", timeout: .seconds(20)) { false }
        }
        #expect(error?.message.contains("broken config") == true, "\(String(describing: error))")
    }

    @Test("output appended to a file outlives the child")
    func fileOutput() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("resid-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        for line in ["first", "second"] {
            var command = ChildCommand(URL(fileURLWithPath: "/bin/echo"), [line])
            command.standardOutput = .file(log)
            #expect(try await ChildProcess.run(command).status.isSuccess)
        }
        #expect(try String(contentsOf: log, encoding: .utf8) == "first\nsecond\n")
    }
}
