public import Tensor

/// A lookup table of learned vectors, one row per index.
public final class Embedding: Layer {
    /// `[vocabulary, width]`.
    public let table: Parameter

    /// Rows drawn from a normal distribution with standard deviation `standardDeviation`.
    public init(vocabulary: Int, width: Int, standardDeviation: Float = 1, rng: inout SeededRandom) {
        table = .parameter(
            Tensor(
                shape: [vocabulary, width],
                elements: (0..<vocabulary * width).map { _ in rng.normal() * standardDeviation }))
    }

    public var vocabulary: Int { table.shape[0] }
    public var width: Int { table.shape[1] }

    /// The rows at `indices`, shaped `indexShape + [width]`.
    /// - Important: indices must lie in `0..<vocabulary`; validate external input first.
    public func callAsFunction(_ indices: [Int], shape indexShape: [Int]) -> Variable {
        table.gather(rows: indices, indexShape: indexShape)
    }

    public func namedParameters() -> [(name: String, parameter: Parameter)] { [("table", table)] }
}
