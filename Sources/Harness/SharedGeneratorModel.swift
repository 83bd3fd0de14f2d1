import Models

/// Lets each evaluation worker build its own decoder over the trained generator (read-only).
final class SharedGeneratorModel: @unchecked Sendable {
    let value: SIDGeneratorModel
    init(_ value: SIDGeneratorModel) { self.value = value }
}
