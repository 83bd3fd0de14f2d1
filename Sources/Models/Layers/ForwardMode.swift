public import Tensor

/// Training or inference, threaded through forward passes as `inout`.
///
/// Dropout is the only layer behaviour that differs between the two; drawing its masks from one
/// seeded stream carried here (rather than a generator per layer) makes a whole training run
/// reproducible from one seed.
public struct ForwardMode: Sendable {
    /// Whether dropout is active.
    public var isTraining: Bool
    /// The stream dropout masks are drawn from.
    public var rng: SeededRandom

    /// Training with dropout masks drawn from `seed`.
    public static func training(seed: UInt64) -> ForwardMode {
        ForwardMode(isTraining: true, rng: SeededRandom(seed: seed))
    }

    /// Training with dropout masks drawn from `rng` (for example one stream per step and worker,
    /// so a data-parallel step and a resumed run draw the same masks).
    public static func training(rng: SeededRandom) -> ForwardMode {
        ForwardMode(isTraining: true, rng: rng)
    }

    /// Inference: dropout is the identity. (Combine with `GradMode.withoutGrad` to skip
    /// recording the graph as well.)
    public static var inference: ForwardMode {
        ForwardMode(isTraining: false, rng: SeededRandom(seed: 0))
    }

    /// Dropout with rate `rate` in training, the identity in inference.
    public mutating func dropout(_ x: Variable, rate: Float) -> Variable {
        guard isTraining, rate > 0 else { return x }
        return x.dropout(rate: rate, rng: &rng)
    }
}
