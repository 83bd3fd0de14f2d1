/// Global-norm gradient clipping.
public enum GradientClipping {
    /// The Euclidean norm of all the parameters' gradients taken together (accumulated in
    /// `Double`); parameters without a gradient count as zero.
    public static func globalNorm(_ parameters: [Parameter]) -> Float {
        var total: Double = 0
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            let g = grad.pointer
            for i in 0..<grad.count { total += Double(g[i]) * Double(g[i]) }
            withExtendedLifetime(grad) {}
        }
        return Float(total.squareRoot())
    }

    /// Scales every gradient by `maxNorm / norm` when the global norm exceeds `maxNorm`, so the
    /// update direction is kept and only its length is capped.
    /// - Returns: the global norm before clipping (worth logging: spikes show instability).
    @discardableResult
    public static func clipGlobalNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "clipGlobalNorm: maxNorm must be positive, got \(maxNorm)")
        let norm = globalNorm(parameters)
        guard norm > maxNorm else { return norm }
        let scale = maxNorm / (norm + 1e-6)
        for parameter in parameters where parameter.grad != nil {
            let g = parameter.grad!.uniquePointer()
            for i in 0..<parameter.value.count { g[i] *= scale }
        }
        return norm
    }
}
