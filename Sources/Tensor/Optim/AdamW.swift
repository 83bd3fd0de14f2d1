/// Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch's `AdamW`:
///
///     p ← p − lr·λ·p
///     m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²
///     p ← p − lr · (m / (1−β₁ᵗ)) / (sqrt(v / (1−β₂ᵗ)) + ε)
///
/// The decay shrinks the weights directly instead of being added to the gradient, so it is not
/// rescaled by the adaptive denominator.
public final class AdamW {
    /// Hyperparameters.
    public struct Configuration: Sendable {
        /// Peak learning rate (a schedule may override it per step).
        public var learningRate: Float
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float
        /// Decoupled weight decay λ.
        public var weightDecay: Float

        public init(
            learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
            weightDecay: Float = 0.01
        ) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }
    }

    /// The parameters being optimised, in a fixed order (moment buffers follow it).
    public let parameters: [Parameter]
    /// The hyperparameters; changing them between steps is allowed.
    public var configuration: Configuration
    /// Number of steps taken so far (the `t` of the bias corrections).
    public private(set) var stepCount = 0
    /// First-moment estimates, one per parameter (for checkpoints).
    public private(set) var firstMoments: [Tensor]
    /// Second-moment estimates, one per parameter (for checkpoints).
    public private(set) var secondMoments: [Tensor]
    private let decays: [Bool]

    /// - Parameters:
    ///   - parameters: the trainable variables.
    ///   - withoutDecay: parameters exempt from weight decay (conventionally biases and norm
    ///     gains); identity comparison.
    public init(parameters: [Parameter], configuration: Configuration = Configuration(), withoutDecay: [Parameter] = [])
    {
        self.parameters = parameters
        self.configuration = configuration
        let exempt = Set(withoutDecay.map(ObjectIdentifier.init))
        decays = parameters.map { !exempt.contains(ObjectIdentifier($0)) }
        firstMoments = parameters.map { Tensor(zeros: $0.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.shape) }
    }

    /// Restores the state saved from ``firstMoments``, ``secondMoments`` and ``stepCount``.
    public func restore(stepCount: Int, firstMoments: [Tensor], secondMoments: [Tensor]) {
        precondition(
            firstMoments.map(\.shape) == parameters.map(\.shape)
                && secondMoments.map(\.shape) == parameters.map(\.shape),
            "AdamW.restore: moment shapes do not match the parameters")
        self.stepCount = stepCount
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }

    /// Applies one update from the parameters' accumulated gradients, then clears them.
    /// A parameter without a gradient (unused this step) is skipped entirely, decay included,
    /// as PyTorch does.
    ///
    /// - Parameter learningRate: this step's rate (from a schedule); default
    ///   ``Configuration/learningRate``.
    public func step(learningRate: Float? = nil) {
        stepCount += 1
        let c = configuration
        let lr = learningRate ?? c.learningRate
        let t = Double(stepCount)
        let correction1 = Float(1 - Math.pow(Double(c.beta1), t))
        let correction2 = Float(1 - Math.pow(Double(c.beta2), t))
        let stepSize = lr / correction1
        let inverseSqrtCorrection2 = 1 / correction2.squareRoot()
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            let count = parameter.value.count
            let shrink = decays[index] ? 1 - lr * c.weightDecay : 1
            let p = parameter.value.uniquePointer()
            let m = firstMoments[index].uniquePointer()
            let v = secondMoments[index].uniquePointer()
            let g = grad.pointer
            for i in 0..<count {
                let gi = g[i]
                let mi = c.beta1 * m[i] + (1 - c.beta1) * gi
                let vi = c.beta2 * v[i] + (1 - c.beta2) * gi * gi
                m[i] = mi
                v[i] = vi
                p[i] = p[i] * shrink - stepSize * mi / (vi.squareRoot() * inverseSqrtCorrection2 + c.epsilon)
            }
            withExtendedLifetime(grad) {}
            parameter.zeroGrad()
        }
    }

    /// Clears every parameter's gradient without updating.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}
