/// Per-row sets of allowed classes for ``Variable/crossEntropy(targets:weights:masks:)``: a
/// small table of distinct masks and, for every row, which mask it uses.
///
/// Used where the output space is structured, as for a SID generator trained with a softmax
/// over only the codes that continue the current prefix to a real item: many rows share one
/// mask (one per prefix), so the table stays small however many rows a batch has.
public struct ClassMasks: Sendable {
    /// Classes per row.
    public let classes: Int
    /// `[masks × classes]` additive masks: 0 for an allowed class, −∞ for the others.
    public let additive: [Float]
    /// For each row of the logits, its mask's index in ``additive``.
    public let maskOfRow: [Int]

    /// - Parameters:
    ///   - additive: the distinct masks, `[masks × classes]` row-major, built once with
    ///     ``additive(allowed:)`` and shared by every batch.
    ///   - classes: classes per row.
    ///   - maskOfRow: each logits row's mask index.
    public init(additive: [Float], classes: Int, maskOfRow: [Int]) {
        precondition(
            classes > 0 && additive.count % classes == 0, "ClassMasks: \(additive.count) values for \(classes) classes")
        let count = additive.count / classes
        precondition(
            maskOfRow.allSatisfy { (0..<count).contains($0) }, "ClassMasks: a row names a mask outside 0..<\(count)")
        self.classes = classes
        self.additive = additive
        self.maskOfRow = maskOfRow
    }

    /// Additive masks from allowed-class flags: 0 where allowed, −∞ elsewhere.
    public static func additive(allowed: [Bool]) -> [Float] {
        allowed.map { $0 ? 0 : -Float.infinity }
    }

    /// Adds row `row`'s mask to the `classes` values at `values`.
    func apply(row: Int, to values: UnsafeMutablePointer<Float>) {
        additive.withUnsafeBufferPointer { table in
            let mask = table.baseAddress! + maskOfRow[row] * classes
            for j in 0..<classes { values[j] += mask[j] }
        }
    }
}
