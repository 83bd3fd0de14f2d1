public import Tensor

/// Shared anchor directions for one GAOQ level: `count` orthonormal vectors in `dimension` dims.
///
/// A seeded Gaussian matrix is orthonormalised by modified Gram–Schmidt, run twice per vector
/// ("twice is enough": the second pass removes the rounding the first leaves behind), in `Double`.
/// The exact values do not matter, only that they are orthonormal, shared by every
/// branch of the level, and reproducible from the seed.
public enum OrthonormalAnchors {
    /// `[count, dimension]` anchors, one per row.
    ///
    /// - Throws: ``TokenizerError`` when `count > dimension` (no such orthonormal set exists).
    public static func make(count: Int, dimension: Int, random: SeededRandom) throws -> Tensor {
        guard count >= 1 else {
            throw TokenizerError(.invalidConfiguration, "anchors: need at least one anchor, got \(count)")
        }
        guard count <= dimension else {
            throw TokenizerError(
                .invalidConfiguration,
                "anchors: \(count) orthonormal anchors cannot exist in \(dimension) dimensions; use more level-1/level-2 clusters so groups are smaller, or longer vectors"
            )
        }
        var rng = random
        var basis = [[Double]]()
        basis.reserveCapacity(count)
        while basis.count < count {
            var v = (0..<dimension).map { _ in Double(rng.normal()) }
            for _ in 0..<2 {
                for q in basis {
                    var dot = 0.0
                    for j in 0..<dimension { dot += v[j] * q[j] }
                    for j in 0..<dimension { v[j] -= dot * q[j] }
                }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            // A draw (almost) inside the span so far is redrawn rather than amplified noise.
            guard norm > 1e-6 else { continue }
            basis.append(v.map { $0 / norm })
        }
        return Tensor(shape: [count, dimension], elements: basis.flatMap { $0.map(Float.init) })
    }
}
