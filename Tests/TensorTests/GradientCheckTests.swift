import Foundation
import Testing

@testable import Tensor

/// A seeded input in `[-1, 1]`; `margin` keeps elements at least that far from 0 (for ops with
/// a kink there, such as ReLU, whose finite difference would straddle it).
func randomInput(_ shape: [Int], seed: UInt64, margin: Float = 0, positive: Bool = false) -> Variable {
    var rng = SeededRandom(seed: seed)
    let values = (0..<Tensor.elementCount(shape)).map { _ -> Float in
        var x = rng.uniform(-1, 1)
        if margin > 0 { x = x < 0 ? min(x, -margin) : max(x, margin) }
        return positive ? abs(x) + 0.5 : x
    }
    return Variable(Tensor(shape: shape, elements: values), requiresGrad: true)
}

/// Runs a gradient check and records the report if it fails. Correct ops measure worst
/// relative errors around 1e-4 here; the default tolerance leaves a margin of about 5x.
func expectGradientsMatch(
    _ inputs: [Variable], tolerance: Double = 2e-3, sourceLocation: SourceLocation = #_sourceLocation,
    _ function: () -> Variable
) {
    let report = GradientCheck.run(inputs: inputs, tolerance: tolerance, function)
    #expect(report.passed, "\(report)", sourceLocation: sourceLocation)
    // A check over all-zero gradients would prove nothing.
    #expect(report.inputs.allSatisfy { $0.numericScale > 1e-4 }, "\(report)", sourceLocation: sourceLocation)
}

@Suite("Gradient checks (central differences) for every op")
struct GradientCheckTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(transposeA: Bool, transposeB: Bool) {
        let a = randomInput(transposeA ? [4, 3] : [3, 4], seed: 1)
        let b = randomInput(transposeB ? [5, 4] : [4, 5], seed: 2)
        expectGradientsMatch([a, b]) { Variable.matmul(a, b, transposeA: transposeA, transposeB: transposeB) }
    }

    @Test func matmulFlattensLeadingDimensions() {
        let a = randomInput([2, 3, 4], seed: 3)
        let b = randomInput([4, 5], seed: 4)
        expectGradientsMatch([a, b]) { Variable.matmul(a, b) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func batchedMatmul(transposeA: Bool, transposeB: Bool) {
        let a = randomInput(transposeA ? [2, 4, 3] : [2, 3, 4], seed: 5)
        let b = randomInput(transposeB ? [2, 5, 4] : [2, 4, 5], seed: 6)
        expectGradientsMatch([a, b]) { Variable.batchedMatmul(a, b, transposeA: transposeA, transposeB: transposeB) }
        let shared = randomInput(transposeB ? [5, 4] : [4, 5], seed: 7)
        expectGradientsMatch([a, shared]) {
            Variable.batchedMatmul(a, shared, transposeA: transposeA, transposeB: transposeB)
        }
    }

    @Test(arguments: [[2, 3, 4], [3, 1], [4], [1], [2, 1, 4]])
    func broadcastingArithmetic(rhsShape: [Int]) {
        let a = randomInput([2, 3, 4], seed: 8)
        let b = randomInput(rhsShape, seed: 9)
        let positive = randomInput(rhsShape, seed: 10, positive: true)
        expectGradientsMatch([a, b]) { a + b }
        expectGradientsMatch([a, b]) { b + a }
        expectGradientsMatch([a, b]) { a - b }
        expectGradientsMatch([a, b]) { b - a }
        expectGradientsMatch([a, b]) { a * b }
        expectGradientsMatch([a, positive]) { a / positive }
        expectGradientsMatch([a, positive]) { positive / (a * a + 1) }
    }

    @Test func scalarAndElementwiseFunctions() {
        let a = randomInput([3, 4], seed: 11)
        let positive = randomInput([3, 4], seed: 12, positive: true)
        expectGradientsMatch([a]) { a + 2 }
        expectGradientsMatch([a]) { 2 - a }
        expectGradientsMatch([a]) { a * -3 }
        expectGradientsMatch([a]) { a / 4 }
        expectGradientsMatch([positive]) { 2 / positive }
        expectGradientsMatch([a]) { -a }
        expectGradientsMatch([a]) { a.squared() }
        expectGradientsMatch([positive]) { positive.squareRoot() }
        expectGradientsMatch([a]) { a.exp() }
        expectGradientsMatch([positive]) { positive.log() }
    }

    @Test func reductions() {
        let a = randomInput([2, 3, 4], seed: 13)
        expectGradientsMatch([a]) { a.sum() }
        expectGradientsMatch([a]) { a.mean() }
        expectGradientsMatch([a]) { a.sum(axis: -1) }
        expectGradientsMatch([a]) { a.sum(axes: [0, 2], keepDims: true) }
        expectGradientsMatch([a]) { a.mean(axis: 1) }
        expectGradientsMatch([a]) { a.mean(axes: [0, 1]) }
    }

    @Test func softmaxAndLogSoftmax() {
        let a = randomInput([3, 5], seed: 14)
        expectGradientsMatch([a]) { a.softmax() }
        expectGradientsMatch([a]) { a.logSoftmax() }
    }

    @Test func crossEntropyWithIgnoredRowsAndWeights() {
        let logits = randomInput([5, 4], seed: 15)
        expectGradientsMatch([logits]) { logits.crossEntropy(targets: [0, 3, -1, 2, 1]) }
        expectGradientsMatch([logits]) {
            logits.crossEntropy(targets: [0, 3, -1, 2, 1], weights: [1, 0.5, 3, 0, 2])
        }
    }

    /// Masked rows: the softmax spreads over the allowed classes only, and the masked classes
    /// get exactly zero gradient.
    @Test func crossEntropyWithClassMasks() {
        let logits = randomInput([4, 5], seed: 18)
        let allowed: [Bool] = [true, false, true, true, false, false, true, false, false, true]
        let masks = ClassMasks(additive: ClassMasks.additive(allowed: allowed), classes: 5, maskOfRow: [0, 1, 1, 0])
        let targets = [3, 1, 4, -1]
        expectGradientsMatch([logits]) { logits.crossEntropy(targets: targets, masks: masks) }
        let loss = logits.crossEntropy(targets: targets, masks: masks)
        var expected: Double = 0
        for row in 0..<3 {
            let values = (0..<5).map { Double(logits.value.elements[row * 5 + $0]) }
            let kept = (0..<5).filter { allowed[masks.maskOfRow[row] * 5 + $0] }
            expected += Foundation.log(kept.map { Foundation.exp(values[$0]) }.reduce(0, +)) - values[targets[row]]
        }
        #expect(abs(Double(loss.value.scalar) - expected / 3) < 1e-5)
        loss.backward()
        let gradient = logits.grad!.elements
        for row in 0..<4 {
            for j in 0..<5 where !allowed[masks.maskOfRow[row] * 5 + j] { #expect(gradient[row * 5 + j] == 0) }
        }
    }

    @Test func normalisations() {
        let x = randomInput([4, 6], seed: 16)
        let gamma = randomInput([6], seed: 17)
        let beta = randomInput([6], seed: 18)
        expectGradientsMatch([x, gamma, beta]) { x.layerNorm(gamma: gamma, beta: beta) }
        expectGradientsMatch([x, gamma]) { x.rmsNorm(gamma: gamma) }
        expectGradientsMatch([x]) { x.l2Normalized() }
    }

    @Test func activations() {
        let x = randomInput([3, 5], seed: 19, margin: 0.05)
        expectGradientsMatch([x]) { x.relu() }
        expectGradientsMatch([x]) { x.gelu() }
    }

    @Test func embeddingGatherScattersRepeatedRows() {
        let table = randomInput([5, 3], seed: 20)
        expectGradientsMatch([table]) { table.gather(rows: [4, 1, 1, 0, 4, 4], indexShape: [2, 3]) }
    }

    @Test func dropoutMaskIsReproducibleAndDifferentiable() {
        let x = randomInput([4, 8], seed: 21)
        expectGradientsMatch([x]) {
            var rng = SeededRandom(seed: 99)
            return x.dropout(rate: 0.3, rng: &rng)
        }
        var r1 = SeededRandom(seed: 5), r2 = SeededRandom(seed: 5)
        #expect(x.dropout(rate: 0.5, rng: &r1).value == x.dropout(rate: 0.5, rng: &r2).value)
    }

    @Test func maskedFill() {
        let x = randomInput([2, 4], seed: 22)
        let mask = [true, false, false, true, false, true, false, false]
        expectGradientsMatch([x]) { x.maskedFill(mask, with: -5) }
    }

    @Test func shapeOps() {
        let a = randomInput([2, 3, 4], seed: 23)
        let b = randomInput([2, 2, 4], seed: 24)
        expectGradientsMatch([a, b]) { Variable.concat([a, b, a], axis: 1) }
        expectGradientsMatch([a]) { a.slice(axis: 1, range: 1..<3) }
        expectGradientsMatch([a]) { a.slice(axis: -1, range: 0..<2) }
        expectGradientsMatch([a]) { a.reshaped([4, -1]) * a.reshaped([4, 6]) }
        expectGradientsMatch([a]) { a.permuted([2, 0, 1]) }
        expectGradientsMatch([a]) { a.transposed() }
    }

    @Test func cosineSimilarities() {
        let h = randomInput([3, 6], seed: 25)
        let e = randomInput([5, 6], seed: 26)
        let other = randomInput([3, 6], seed: 27)
        expectGradientsMatch([h, other]) { Variable.cosineSimilarity(h, other) }
        expectGradientsMatch([h, e]) { Variable.scaledCosineLogits(h, e, scale: Float(6).squareRoot()) }
    }

    @Test func attentionPlain() {
        let q = randomInput([2, 3, 8], seed: 28)
        let k = randomInput([2, 4, 8], seed: 29)
        let v = randomInput([2, 4, 8], seed: 30)
        expectGradientsMatch([q, k, v]) { Variable.scaledDotProductAttention(query: q, key: k, value: v, heads: 2) }
    }

    @Test func attentionWithPaddingCausalMaskAndBias() {
        let q = randomInput([2, 4, 8], seed: 31)
        let k = randomInput([2, 4, 8], seed: 32)
        let v = randomInput([2, 4, 8], seed: 33)
        let bias = randomInput([1, 2, 4, 4], seed: 34)
        let perBatchBias = randomInput([2, 2, 4, 4], seed: 35)
        let padding = [false, false, false, true, true, false, false, false]
        expectGradientsMatch([q, k, v, bias]) {
            Variable.scaledDotProductAttention(
                query: q, key: k, value: v, heads: 2, keyPadding: padding, causal: true, bias: bias)
        }
        expectGradientsMatch([q, k, v, perBatchBias]) {
            Variable.scaledDotProductAttention(
                query: q, key: k, value: v, heads: 2, keyPadding: padding, bias: perBatchBias, scale: 1)
        }
    }

    @Test func attentionFromOneFusedProjection() {
        let qkv = randomInput([2, 3, 24], seed: 36)
        expectGradientsMatch([qkv]) {
            Variable.scaledDotProductAttention(
                query: qkv, key: qkv, value: qkv, heads: 2,
                queryColumns: 0..<8, keyColumns: 8..<16, valueColumns: 16..<24, causal: true
            )
        }
    }

    @Test func attentionCausalWithFewerQueriesThanKeys() {
        // The key/value-cache case: 2 new queries are the last 2 of 5 positions.
        let q = randomInput([1, 2, 4], seed: 37)
        let k = randomInput([1, 5, 4], seed: 38)
        let v = randomInput([1, 5, 4], seed: 39)
        expectGradientsMatch([q, k, v]) {
            Variable.scaledDotProductAttention(query: q, key: k, value: v, heads: 1, causal: true)
        }
    }
}
