public import Tensor

/// SYNTHETIC item vectors for tests and scale benchmarks: clustered Gaussians with a two-level
/// hierarchy (topics, then sub-topics around each topic), loosely shaped like field-embedding
/// concatenations. Any number derived from these must be labelled synthetic.
public enum SyntheticVectors {
    /// `[items, dimension]` vectors, deterministic for `seed`.
    ///
    /// - Parameters:
    ///   - topics: top-level centres, spread with standard deviation 1 per coordinate.
    ///   - subtopics: centres per topic, offset from it with standard deviation 0.5.
    ///   - noise: per-item standard deviation around its sub-topic centre.
    public static func clustered(
        items: Int, dimension: Int, topics: Int = 64, subtopics: Int = 16, noise: Float = 0.35, seed: UInt64
    ) -> Tensor {
        var rng = SeededRandom(seed: seed)
        let topicCentres = (0..<(topics * dimension)).map { _ in rng.normal() }
        let subCentres = (0..<(topics * subtopics * dimension)).map { index in
            topicCentres[(index / (subtopics * dimension)) * dimension + index % dimension] + 0.5 * rng.normal()
        }
        var out = Tensor(uninitialized: [items, dimension])
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<items {
                let centre = rng.int(below: topics * subtopics) * dimension
                for j in 0..<dimension { p[i * dimension + j] = subCentres[centre + j] + noise * rng.normal() }
            }
        }
        return out
    }
}
