public import Tensor

/// Layer normalisation over the last axis with a learned gain (init 1) and bias (init 0).
public final class LayerNorm: Layer {
    public let gamma: Parameter
    public let beta: Parameter
    public let epsilon: Float

    public init(width: Int, epsilon: Float = 1e-5) {
        gamma = .parameter(Tensor(repeating: 1, shape: [width]))
        beta = .parameter(Tensor(zeros: [width]))
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        x.layerNorm(gamma: gamma, beta: beta, epsilon: epsilon)
    }

    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        [("gamma", gamma), ("beta", beta)]
    }
}

/// T5's root-mean-square normalisation over the last axis: a learned gain (init 1), no
/// centring, no bias.
public final class RMSNorm: Layer {
    public let gamma: Parameter
    public let epsilon: Float

    public init(width: Int, epsilon: Float = 1e-6) {
        gamma = .parameter(Tensor(repeating: 1, shape: [width]))
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        x.rmsNorm(gamma: gamma, epsilon: epsilon)
    }

    public func namedParameters() -> [(name: String, parameter: Parameter)] { [("gamma", gamma)] }
}
