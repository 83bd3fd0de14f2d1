import Testing

@testable import Tensor

/// The gradient check must be able to fail: ops with deliberately wrong backward passes.
@Suite("Gradient check catches broken gradients")
struct BrokenGradientTests {
    /// `a x b` whose backward forgets to transpose `a` in `dB = Aᵀ G`.
    static func matmulMissingTranspose(_ a: Variable, _ b: Variable) -> Variable {
        let (x, y) = (a.value, b.value)
        return Variable.result(Tensor.matmul(x, y), parents: [a, b]) { g in
            a.accumulateGrad(Tensor.matmul(g, y, transposeB: true))
            b.accumulateGrad(Tensor.matmul(x, g))  // should be transposeA: true
        }
    }

    /// Layer norm (no affine) whose backward drops the `− n · mean(g · n)` term.
    static func layerNormDroppedTerm(_ v: Variable) -> Variable {
        let width = v.shape[1]
        let ones = Variable(Tensor(repeating: 1, shape: [width]))
        let zeros = Variable(Tensor(zeros: [width]))
        let reference = GradMode.withoutGrad { v.layerNorm(gamma: ones, beta: zeros) }.value
        return Variable.result(reference, parents: [v]) { g in
            var dx = Tensor(zeros: v.shape)
            for row in 0..<v.shape[0] {
                var mean: Float = 0, variance: Float = 0
                for j in 0..<width { mean += v.value[flat: row * width + j] }
                mean /= Float(width)
                for j in 0..<width { variance += pow2(v.value[flat: row * width + j] - mean) }
                let r = 1 / (variance / Float(width) + 1e-5).squareRoot()
                var meanG: Float = 0
                for j in 0..<width { meanG += g[flat: row * width + j] }
                meanG /= Float(width)
                for j in 0..<width { dx[flat: row * width + j] = r * (g[flat: row * width + j] - meanG) }
            }
            v.accumulateGrad(dx)
        }
    }

    /// ReLU whose backward has the wrong sign.
    static func reluWrongSign(_ v: Variable) -> Variable {
        let x = v.value
        return Variable.result(x.map { max($0, 0) }, parents: [v]) { g in
            v.accumulateGrad(Tensor.broadcasting(g, x) { $1 > 0 ? -$0 : 0 })
        }
    }

    @Test func missingTransposeFails() {
        let a = randomInput([3, 3], seed: 1)
        let b = randomInput([3, 3], seed: 2)
        let report = GradientCheck.run(inputs: [a, b]) { Self.matmulMissingTranspose(a, b) }
        #expect(!report.passed, "\(report)")
        #expect(report.inputs[0].relativeError < 1e-2, "the correct dA must still pass: \(report)")
        #expect(report.inputs[1].relativeError > 0.1, "\(report)")
    }

    @Test func droppedTermFails() {
        let x = randomInput([3, 5], seed: 3)
        let report = GradientCheck.run(inputs: [x]) { Self.layerNormDroppedTerm(x) }
        #expect(!report.passed, "\(report)")
        #expect(report.worstError > 0.1, "\(report)")
    }

    @Test func wrongSignFails() {
        let x = randomInput([3, 5], seed: 4, margin: 0.05)
        let report = GradientCheck.run(inputs: [x]) { Self.reluWrongSign(x) }
        #expect(!report.passed, "\(report)")
    }
}

private func pow2(_ x: Float) -> Float { x * x }
