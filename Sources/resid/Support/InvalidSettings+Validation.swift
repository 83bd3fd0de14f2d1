import ArgumentParser
import Harness

extension InvalidSettings {
    /// Runs `body`, turning ``InvalidSettings`` into ArgumentParser's `ValidationError`, which
    /// prints the usage beside the message.
    static func asValidationError<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let invalid as InvalidSettings {
            throw ValidationError(invalid.description)
        }
    }
}
