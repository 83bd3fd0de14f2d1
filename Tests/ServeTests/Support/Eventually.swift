/// Waits until `condition` holds or `timeout` passes, and says whether it held.
///
/// The daemon counts a batch in its metrics after the batch's outputs are acknowledged and its
/// offsets committed, so a test that has just read the outputs can see the counters a moment
/// before they move (since the embedded broker answers waiting fetches at once, that moment is
/// often enough to lose the race).
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return true
}
