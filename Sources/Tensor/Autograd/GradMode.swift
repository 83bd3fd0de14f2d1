/// Whether ops record the autograd graph.
///
/// Recording is on by default. Serving and evaluation run their forward passes inside
/// ``withoutGrad(_:)``: ops then return plain constants, keep no references to their inputs and
/// allocate no backward state. The flag is task-local, so one task's inference never switches
/// off another task's training.
public enum GradMode {
    /// `true` while ops record the graph for ``Variable/backward()``.
    @TaskLocal public static var isEnabled: Bool = true

    /// Runs `body` with recording switched off.
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $isEnabled.withValue(false) { try body() }
    }

    /// Runs the async `body` with recording switched off.
    public static func withoutGrad<R>(_ body: () async throws -> R) async rethrows -> R {
        try await $isEnabled.withValue(false) { try await body() }
    }
}
