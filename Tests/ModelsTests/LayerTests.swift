import Tensor
import Testing

@testable import Models

private func input(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Variable {
    var rng = SeededRandom(seed: seed)
    return Variable(
        Tensor(shape: shape, elements: (0..<Tensor.elementCount(shape)).map { _ in rng.uniform(-1, 1) }),
        requiresGrad: requiresGrad)
}

private func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count)
    return (0..<a.count).map { abs(a[flat: $0] - b[flat: $0]) }.max() ?? 0
}

@Suite("Layers")
struct LayerTests {
    @Test func linearMatchesHandComputedValues() {
        var rng = SeededRandom(seed: 1)
        let layer = Linear(2, 3, rng: &rng)
        layer.weight.value = Tensor(shape: [2, 3], elements: [1, 2, 3, 4, 5, 6])
        layer.bias!.value = Tensor(shape: [3], elements: [0.5, 0, -1])
        let x = Variable(Tensor(shape: [1, 2, 2], elements: [1, 0, 1, 1]))
        #expect(layer(x).value.shape == [1, 2, 3])
        #expect(layer(x).value.elements == [1.5, 2, 2, 5.5, 7, 8])
    }

    @Test func parametersHaveStableDottedNames() {
        var rng = SeededRandom(seed: 2)
        let encoder = TransformerEncoder(layers: 2, .init(width: 16, heads: 2, feedForwardWidth: 32), rng: &rng)
        let names = encoder.namedParameters().map(\.name)
        #expect(names.count == 2 * 12)
        #expect(names.first == "blocks.0.attentionNorm.gamma")
        #expect(names.contains("blocks.1.attention.inProjection.weight"))
        #expect(names.last == "blocks.1.feedForwardOut.bias")
        #expect(Set(names).count == names.count)
        // d=16: 2·(LN 32 + attention 16·48+48 + 16·16+16 + LN 32 + 16·32+32 + 32·16+16)
        #expect(encoder.parameterCount == 2 * (32 + 816 + 272 + 32 + 544 + 528))
    }

    @Test func encoderBlockGradientsMatchFiniteDifferences() {
        var rng = SeededRandom(seed: 3)
        // GELU rather than ReLU: finite differences of weights that move pre-activations across
        // ReLU's kink are not derivatives (ReLU itself is checked away from its kink in
        // TensorTests).
        let block = TransformerEncoderBlock(
            .init(width: 8, heads: 2, feedForwardWidth: 16, dropout: 0, activation: .gelu), rng: &rng)
        let x = input([2, 3, 8], seed: 4, requiresGrad: true)
        let padding = [false, false, true, false, false, false]
        let checked = [x, block.attention.inProjection.weight, block.feedForwardIn.weight, block.attentionNorm.gamma]
        let report = GradientCheck.run(inputs: checked, tolerance: 5e-3) {
            var mode = ForwardMode.inference
            return block(x, keyPadding: padding, mode: &mode)
        }
        #expect(report.passed, "\(report)")
    }

    @Test func dropoutIsActiveOnlyInTraining() {
        var rng = SeededRandom(seed: 5)
        let block = TransformerEncoderBlock(.init(width: 8, heads: 2, feedForwardWidth: 16, dropout: 0.5), rng: &rng)
        let x = input([1, 4, 8], seed: 6)
        var inference = ForwardMode.inference
        let a = block(x, mode: &inference).value
        let b = block(x, mode: &inference).value
        #expect(a == b)
        var training = ForwardMode.training(seed: 1)
        #expect(block(x, mode: &training).value != a)
        var again = ForwardMode.training(seed: 1)
        var same = ForwardMode.training(seed: 1)
        #expect(block(x, mode: &again).value == block(x, mode: &same).value)
    }

    @Test func crossAttentionGradientsReachQueriesMemoryAndWeights() {
        var rng = SeededRandom(seed: 13)
        let attention = MultiHeadAttention(width: 4, heads: 2, rng: &rng)
        let x = input([1, 2, 4], seed: 14, requiresGrad: true)
        let memory = input([1, 3, 4], seed: 15, requiresGrad: true)
        let report = GradientCheck.run(inputs: [x, memory, attention.inProjection.weight], tolerance: 5e-3) {
            attention(x, memory: memory)
        }
        #expect(report.passed, "\(report)")
    }
}

@Suite("Toy task training")
struct ToyTaskTests {
    @Test(.timeLimit(.minutes(1)))
    func twoLayerEncoderLearnsToReverseSequences() {
        var configuration = ReverseTask.Configuration()
        configuration.vocabulary = 8
        configuration.length = 8
        configuration.batch = 32
        configuration.steps = 400
        configuration.block = .init(width: 32, heads: 4, feedForwardWidth: 64, dropout: 0)
        configuration.evaluationSequences = 256
        let (summary, _) = ReverseTask.train(configuration)
        // Chance level is ln 8 ≈ 2.08.
        #expect(summary.evaluationLoss < 0.05, "\(summary)")
        #expect(summary.tokenAccuracy > 0.99, "\(summary)")
    }
}
