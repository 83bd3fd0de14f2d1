public import Foundation
import Tensor

extension SIDGenerator: StoredGenerator {
    /// The safetensors `format` metadata value of T5 generator weights.
    public static let fileFormat = "resid-generator/1"

    /// Loads a generator written by ``save(to:)``.
    /// - Throws: ``SequenceModelError/Code/invalidCheckpoint`` naming the missing or misshapen
    ///   tensor or metadata key; SafeTensors errors for unreadable files.
    public convenience init(contentsOf url: URL) throws {
        try self.init(contents: SafeTensors.read(url))
    }
}
