public import Tensor

/// A fully connected layer, `y = x W + b`, applied to the last axis of any `[..., inputWidth]`
/// input in one GEMM.
public final class Linear: Layer {
    /// `[inputWidth, outputWidth]` (the transpose of PyTorch's layout, so the forward is a
    /// plain row-major GEMM).
    public let weight: Parameter
    /// `[outputWidth]`, or `nil` for a layer without bias.
    public let bias: Parameter?

    /// Weights uniform in `±1/sqrt(inputWidth)` (PyTorch's default bound), bias zero.
    public init(_ inputWidth: Int, _ outputWidth: Int, bias: Bool = true, rng: inout SeededRandom) {
        let bound = 1 / Float(inputWidth).squareRoot()
        weight = .parameter(
            Tensor(
                shape: [inputWidth, outputWidth],
                elements: (0..<inputWidth * outputWidth).map { _ in rng.uniform(-bound, bound) }))
        self.bias = bias ? .parameter(Tensor(zeros: [outputWidth])) : nil
    }

    public var inputWidth: Int { weight.shape[0] }
    public var outputWidth: Int { weight.shape[1] }

    /// `x W + b` for `x` of shape `[..., inputWidth]`.
    public func callAsFunction(_ x: Variable) -> Variable {
        let product = Variable.matmul(x, weight)
        guard let bias else { return product }
        return product + bias
    }

    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
