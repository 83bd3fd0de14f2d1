public import Data
import Models
import Tensor

/// Measures a sequence model's training steps (data-parallel gradients, clipping, AdamW) as the
/// ``SequenceTrainer`` runs them, for `resid bench generator`.
public enum TrainingThroughput {
    /// What the timed steps did.
    public struct Measurement: Sendable, Codable {
        public var threads: Int
        public var batch: Int
        public var steps: Int
        public var secondsPerStep: Double
        /// Input positions per second.
        public var tokensPerSecond: Double
        /// Target items learned per second.
        public var targetsPerSecond: Double
    }

    /// Times `steps` training steps of `model` on the first batches of `split`'s epoch-0 windows
    /// (tiles for every-position models), after one untimed warm-up step.
    public static func measure<Model: SequenceTrainable>(
        _ model: Model, split: LeaveOneOutSplit, batch: Int, steps: Int, threads: Int
    ) throws -> Measurement {
        let sampler = TrainingWindowSampler(split: split, sampling: .all, seed: 1, tiles: model.learnsEveryPosition)
        let windows = sampler.windows(epoch: 0)
        let gradients = try DataParallelGradients(model: model, workers: threads)
        let optimizer = AdamW(parameters: model.parameters)
        var (seconds, tokens, targets) = (0.0, 0, 0)
        for step in 0...steps {
            let start = (step * batch) % max(1, windows.count - batch)
            let chunk = windows[start..<min(windows.count, start + batch)]
            let clock = Stopwatch()
            let (_, stepTokens, stepTargets) = try gradients.compute(windows: chunk, split: split) { worker in
                ForwardMode.training(rng: SeededRandom(seed: 3).split(UInt64(step)).split(UInt64(worker)))
            }
            _ = GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 1)
            optimizer.step()
            optimizer.zeroGrad()
            guard step > 0 else { continue }
            seconds += clock.elapsed
            tokens += stepTokens
            targets += stepTargets
        }
        return Measurement(
            threads: threads, batch: batch, steps: steps, secondsPerStep: seconds / Double(max(1, steps)),
            tokensPerSecond: Double(tokens) / max(seconds, 1e-9), targetsPerSecond: Double(targets) / max(seconds, 1e-9)
        )
    }
}
