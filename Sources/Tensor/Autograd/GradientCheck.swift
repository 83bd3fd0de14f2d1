/// Compares the autograd gradients of a function with central finite differences.
///
/// The function's output (any shape) is reduced to a scalar `L = Σ out ⊙ R` with a fixed random
/// `R`, so every output element contributes with its own weight and a wrong sign, a missing
/// transpose or a dropped term shows up. `L` is accumulated in `Double`, and each input element
/// is perturbed by `±epsilon`; the numeric derivative is `(L(x+ε) − L(x−ε)) / 2ε`.
///
/// The error of one input is `max |analytic − numeric| / max(max |numeric|, 1e-6)`: the worst
/// element's deviation relative to the gradient's own scale, so the criterion does not depend
/// on how large the gradient happens to be.
public enum GradientCheck {
    /// The outcome for one input.
    public struct InputReport: Sendable, CustomStringConvertible {
        /// Position of the input in the `inputs` array.
        public var index: Int
        /// Worst `|analytic − numeric|` over the elements, divided by the numeric scale.
        public var relativeError: Double
        /// `max |numeric|`, to make sure a check is not vacuously comparing zeros.
        public var numericScale: Double
        /// The element where the worst deviation occurred.
        public var worstElement: Int

        public var description: String {
            "input \(index): relative error \(relativeError) at element \(worstElement), gradient scale \(numericScale)"
        }
    }

    /// The outcome of one check.
    public struct Report: Sendable, CustomStringConvertible {
        /// One entry per input that requires a gradient.
        public var inputs: [InputReport]
        /// The tolerance the errors were compared with.
        public var tolerance: Double

        /// Every input's error is within the tolerance and at least one gradient is non-zero.
        public var passed: Bool {
            inputs.allSatisfy { $0.relativeError <= tolerance } && inputs.contains { $0.numericScale > 1e-6 }
        }

        /// The worst relative error over all inputs.
        public var worstError: Double { inputs.map(\.relativeError).max() ?? 0 }

        public var description: String {
            "gradient check \(passed ? "passed" : "FAILED") (tolerance \(tolerance)):\n"
                + inputs.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    /// Checks the gradient of `function` with respect to every input that requires one.
    ///
    /// - Parameters:
    ///   - inputs: the leaves `function` reads (create them with `requiresGrad: true`).
    ///   - epsilon: the finite-difference step.
    ///   - tolerance: the largest acceptable relative error.
    ///   - seed: seeds the projection `R`.
    ///   - function: recomputes the output from the current input values; it must be
    ///     deterministic (seed any dropout inside it).
    /// - Returns: a report; `report.passed` is the verdict.
    public static func run(
        inputs: [Variable], epsilon: Float = 1e-2, tolerance: Double = 1e-2, seed: UInt64 = 12345,
        _ function: () -> Variable
    ) -> Report {
        let output = GradMode.$isEnabled.withValue(true) { function() }
        var rng = SeededRandom(seed: seed)
        let projection = Tensor(shape: output.shape, elements: (0..<output.value.count).map { _ in rng.uniform(-1, 1) })
        for input in inputs { input.zeroGrad() }
        GradMode.$isEnabled.withValue(true) {
            output.backward(seed: projection)
        }
        let analytic = inputs.map { $0.grad ?? Tensor(zeros: $0.shape) }

        func projected() -> Double {
            let out = GradMode.withoutGrad { function() }.value
            var total: Double = 0
            for i in 0..<out.count { total += Double(out[flat: i]) * Double(projection[flat: i]) }
            return total
        }

        var reports: [InputReport] = []
        for (index, input) in inputs.enumerated() where input.requiresGrad {
            var numeric = [Double](repeating: 0, count: input.value.count)
            for i in 0..<input.value.count {
                let original = input.value[flat: i]
                input.value[flat: i] = original + epsilon
                let plus = projected()
                input.value[flat: i] = original - epsilon
                let minus = projected()
                input.value[flat: i] = original
                // Divide by the step actually taken after Float rounding.
                let step = Double(original + epsilon) - Double(original - epsilon)
                numeric[i] = (plus - minus) / step
            }
            let scale = numeric.map(abs).max() ?? 0
            var worst = 0.0
            var worstElement = 0
            for i in numeric.indices {
                let deviation = abs(Double(analytic[index][flat: i]) - numeric[i])
                if deviation > worst { (worst, worstElement) = (deviation, i) }
            }
            reports.append(
                InputReport(
                    index: index, relativeError: worst / max(scale, 1e-6), numericScale: scale,
                    worstElement: worstElement)
            )
        }
        for input in inputs { input.zeroGrad() }
        return Report(inputs: reports, tolerance: tolerance)
    }
}
