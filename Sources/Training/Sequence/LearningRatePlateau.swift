/// Scales the learning rate down when validation stalls.
///
/// Why: the cosine schedule spans ``SequenceTrainingConfiguration/maxEpochs``, and early stopping
/// usually ends a run long before that, so on its own the rate would still be near its peak when
/// the run stops and the kept model would never see an annealed rate. Multiplying the rate by
/// ``SequenceTrainingConfiguration/plateauFactor`` each time
/// ``SequenceTrainingConfiguration/plateauEpochs`` epochs pass without a better validation
/// (counted from the best validation or the last decay, whichever is later) anneals a run
/// exactly when it stops improving at its current rate.
struct LearningRatePlateau: Codable, Equatable {
    /// Epochs without improvement that trigger a decay (0: never).
    var epochs: Int
    /// Multiplier applied at each decay.
    var factor: Float
    /// Current multiplier of the scheduled rate.
    private(set) var scale: Float = 1
    /// Epoch of the last decay.
    private(set) var lastDecayEpoch: Double = 0

    init(epochs: Int, factor: Float) {
        self.epochs = epochs
        self.factor = factor
    }

    /// Records a validation at `epoch` whose best so far was at `bestEpoch`; returns true when
    /// it decays the rate.
    mutating func observe(epoch: Double, bestEpoch: Double) -> Bool {
        guard epochs > 0, epoch - max(bestEpoch, lastDecayEpoch) >= Double(epochs) - 1e-9 else { return false }
        scale *= factor
        lastDecayEpoch = epoch
        return true
    }
}
