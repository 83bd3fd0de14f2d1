public import Models
import Tensor

/// Forward + backward throughput of one FAMAE-sized pre-LN Transformer encoder block
/// (d 128, 4 heads, FFN 512, ReLU, dropout 0.1, training mode) on a batch of 64 sequences of
/// 33 positions: the unit of work FAMAE training repeats.
public struct EncoderBlockBench {
    public struct Result: Codable, Sendable {
        public var batch: Int
        public var positions: Int
        public var width: Int
        public var heads: Int
        public var feedForwardWidth: Int
        public var tokensPerSecond: Double
        /// Matmul FLOPs of one forward + backward pass (projections, FFN and attention GEMMs).
        public var matmulFlopsPerStep: Double
        public var achievedGflops: Double
        public var millisecondsPerStep: Double
        /// `achievedGflops` over the best raw-sgemm rate measured in the same run.
        public var shareOfRawSgemmPeak: Double
        public var note: String
    }

    public var batch = 64
    public var positions = 33
    public var configuration = TransformerEncoderBlock.Configuration(
        width: 128, heads: 4, feedForwardWidth: 512, dropout: 0.1)

    /// The FAMAE-sized block on the default batch.
    public init() {}

    /// Matmul FLOPs of forward + backward. Forward: the four projection GEMMs,
    /// `2·N·d·(3d + d + 2·ff)` for `N = batch·positions` tokens, plus attention's `QKᵀ` and
    /// `PV`, `4·batch·T²·d`. Backward runs two GEMMs of the same size per forward GEMM (one
    /// per operand), so the total is three times the forward.
    public var matmulFlops: Double {
        let (n, d, ff) = (
            Double(batch * positions), Double(configuration.width), Double(configuration.feedForwardWidth)
        )
        let t = Double(positions)
        let forward = 2 * n * d * (4 * d + 2 * ff) + 4 * Double(batch) * t * t * d
        return 3 * forward
    }

    public func measure(trials: Int, trialSeconds: Double, peakGflops: Double) -> Result {
        var rng = SeededRandom(seed: 11)
        let block = TransformerEncoderBlock(configuration, rng: &rng)
        let shape = [batch, positions, configuration.width]
        let x = Variable(
            Tensor(shape: shape, elements: (0..<Tensor.elementCount(shape)).map { _ in rng.normal() }),
            requiresGrad: true)
        let seed = Tensor(shape: shape, elements: (0..<Tensor.elementCount(shape)).map { _ in rng.normal() })
        // Every sequence has its last 3 positions padded, as a batch of real histories would.
        let padding = (0..<batch * positions).map { $0 % positions >= positions - 3 }
        var mode = ForwardMode.training(seed: 12)
        let parameters = block.parameters

        func step() {
            let out = block(x, keyPadding: padding, mode: &mode)
            out.backward(seed: seed)
            for parameter in parameters { parameter.zeroGrad() }
            x.zeroGrad()
        }

        step()  // warm-up: first-touch allocations
        let reps = trialRepetitions(lasting: trialSeconds, limit: 1 << 12, step)
        var best = Double.infinity
        for _ in 0..<trials {
            let watch = Stopwatch()
            for _ in 0..<reps { step() }
            best = min(best, watch.elapsed / Double(reps))
        }
        let gflops = matmulFlops / best / 1e9
        return Result(
            batch: batch, positions: positions, width: configuration.width, heads: configuration.heads,
            feedForwardWidth: configuration.feedForwardWidth,
            tokensPerSecond: Double(batch * positions) / best, matmulFlopsPerStep: matmulFlops,
            achievedGflops: gflops, millisecondsPerStep: best * 1000,
            shareOfRawSgemmPeak: peakGflops > 0 ? gflops / peakGflops : 0,
            note:
                "pre-LN encoder block, training mode (dropout 0.1), forward + backward incl. LayerNorm, softmax, dropout and bias kernels; FLOPs count matmuls only"
        )
    }
}
