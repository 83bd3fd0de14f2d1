import Synchronization

/// A stop request shared by the event loop and the waits inside it (a Redis outage, a delivery
/// retry), so a graceful shutdown ends a wait instead of sitting through it.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// True once a stop was requested.
    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Requests the stop.
    func set() { value.store(true, ordering: .releasing) }
}
