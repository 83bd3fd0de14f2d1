public import Tensor

/// A pre-LayerNorm Transformer encoder block (as PyTorch's `TransformerEncoderLayer` with
/// `norm_first=True`):
///
///     h   = x + dropout(attention(norm1(x)))
///     out = h + dropout(W₂ dropout(activation(W₁ norm2(h))))
///
/// Normalising before each sublayer keeps the residual path an identity, which trains stably
/// without learning-rate tricks at this depth.
public final class TransformerEncoderBlock: Layer {
    /// Shape and regularisation of a block. Defaults are FAMAE's: d 128, 4 heads, FFN 512,
    /// ReLU, dropout 0.1.
    public struct Configuration: Sendable {
        public enum Activation: Sendable { case relu, gelu }
        public var width: Int
        public var heads: Int
        public var feedForwardWidth: Int
        public var dropout: Float
        public var activation: Activation

        public init(
            width: Int = 128, heads: Int = 4, feedForwardWidth: Int = 512, dropout: Float = 0.1,
            activation: Activation = .relu
        ) {
            self.width = width
            self.heads = heads
            self.feedForwardWidth = feedForwardWidth
            self.dropout = dropout
            self.activation = activation
        }
    }

    public let configuration: Configuration
    public let attentionNorm: LayerNorm
    public let attention: MultiHeadAttention
    public let feedForwardNorm: LayerNorm
    public let feedForwardIn: Linear
    public let feedForwardOut: Linear

    public init(_ configuration: Configuration = Configuration(), rng: inout SeededRandom) {
        self.configuration = configuration
        attentionNorm = LayerNorm(width: configuration.width)
        attention = MultiHeadAttention(width: configuration.width, heads: configuration.heads, rng: &rng)
        feedForwardNorm = LayerNorm(width: configuration.width)
        feedForwardIn = Linear(configuration.width, configuration.feedForwardWidth, rng: &rng)
        feedForwardOut = Linear(configuration.feedForwardWidth, configuration.width, rng: &rng)
    }

    /// Applies the block to `x` (`[batch, length, width]`).
    /// - Parameters:
    ///   - keyPadding: `batch · length` flags, `true` for padding positions (no position
    ///     attends to them; their own outputs are computed but meaningless).
    ///   - causal: restrict attention to earlier positions.
    ///   - bias: additive attention-score bias.
    public func callAsFunction(
        _ x: Variable, keyPadding: [Bool]? = nil, causal: Bool = false, bias: Variable? = nil, mode: inout ForwardMode
    ) -> Variable {
        let rate = configuration.dropout
        let attended = attention(attentionNorm(x), keyPadding: keyPadding, causal: causal, bias: bias)
        let h = x + mode.dropout(attended, rate: rate)
        var hidden = feedForwardIn(feedForwardNorm(h))
        switch configuration.activation {
        case .relu: hidden = hidden.relu()
        case .gelu: hidden = hidden.gelu()
        }
        let ffn = feedForwardOut(mode.dropout(hidden, rate: rate))
        return h + mode.dropout(ffn, rate: rate)
    }

    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        prefixed("attentionNorm", attentionNorm) + prefixed("attention", attention)
            + prefixed("feedForwardNorm", feedForwardNorm) + prefixed("feedForwardIn", feedForwardIn)
            + prefixed("feedForwardOut", feedForwardOut)
    }
}

/// A stack of ``TransformerEncoderBlock``s with no extra input or output normalisation (FAMAE's
/// backbone; add a final norm in the model if one is wanted).
public final class TransformerEncoder: Layer {
    public let blocks: [TransformerEncoderBlock]

    public init(layers: Int, _ configuration: TransformerEncoderBlock.Configuration = .init(), rng: inout SeededRandom)
    {
        var built: [TransformerEncoderBlock] = []
        for _ in 0..<layers { built.append(TransformerEncoderBlock(configuration, rng: &rng)) }
        blocks = built
    }

    /// Applies every block in turn; arguments as for ``TransformerEncoderBlock``.
    public func callAsFunction(
        _ x: Variable, keyPadding: [Bool]? = nil, causal: Bool = false, bias: Variable? = nil, mode: inout ForwardMode
    ) -> Variable {
        var h = x
        for block in blocks { h = block(h, keyPadding: keyPadding, causal: causal, bias: bias, mode: &mode) }
        return h
    }

    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        blocks.enumerated().flatMap { prefixed("blocks.\($0.offset)", $0.element) }
    }
}
