public import Tensor

/// A synthetic sequence task for exercising the numeric core end to end: read a random
/// sequence of tokens and emit it reversed, one prediction per position, with a bidirectional
/// Transformer encoder. Solving it needs attention (each output position must find its mirror
/// position) and learned position embeddings, so a model that learns it shows that the layers,
/// the autograd and the optimiser work together.
///
/// The data is synthetic: uniform random tokens from a seeded generator.
public enum ReverseTask {
    /// Model size, data and optimisation settings.
    public struct Configuration: Sendable {
        /// Number of distinct tokens.
        public var vocabulary = 16
        /// Tokens per sequence.
        public var length = 12
        /// Sequences per step.
        public var batch = 64
        public var steps = 500
        public var warmupSteps = 40
        public var learningRate: Float = 2e-3
        public var weightDecay: Float = 0.01
        public var clipNorm: Float = 1
        public var layers = 2
        public var block = TransformerEncoderBlock.Configuration(dropout: 0)
        /// Held-out sequences scored after training.
        public var evaluationSequences = 512
        public var seed: UInt64 = 1

        public init() {}
    }

    /// One progress report during training.
    public struct Progress: Sendable {
        public var step: Int
        public var steps: Int
        /// Mean training loss since the previous report.
        public var loss: Float
        public var learningRate: Float
        public var tokensPerSecond: Double
        public var elapsedSeconds: Double
        public var etaSeconds: Double
    }

    /// The outcome of a run.
    public struct Summary: Sendable, Codable {
        public var steps: Int
        /// Mean training loss over the last 20 steps.
        public var finalTrainingLoss: Float
        /// Cross-entropy on held-out sequences, inference mode.
        public var evaluationLoss: Float
        /// Fraction of held-out tokens predicted correctly.
        public var tokenAccuracy: Double
        /// Fraction of held-out sequences reversed without a single error.
        public var sequenceAccuracy: Double
        public var seconds: Double
        /// Training tokens processed per second (forward + backward + update).
        public var tokensPerSecond: Double
        public var parameterCount: Int
    }

    /// Token and position embeddings, an encoder, a final LayerNorm and a linear read-out.
    public final class Model: Layer {
        public let tokens: Embedding
        public let positions: Embedding
        public let encoder: TransformerEncoder
        public let finalNorm: LayerNorm
        public let readout: Linear

        public init(_ configuration: Configuration, rng: inout SeededRandom) {
            let width = configuration.block.width
            tokens = Embedding(vocabulary: configuration.vocabulary, width: width, standardDeviation: 0.5, rng: &rng)
            positions = Embedding(vocabulary: configuration.length, width: width, standardDeviation: 0.5, rng: &rng)
            encoder = TransformerEncoder(layers: configuration.layers, configuration.block, rng: &rng)
            finalNorm = LayerNorm(width: width)
            readout = Linear(width, configuration.vocabulary, rng: &rng)
        }

        /// Logits `[batch, length, vocabulary]` for `inputs` (`batch · length` tokens).
        public func callAsFunction(_ inputs: [Int], batch: Int, length: Int, mode: inout ForwardMode) -> Variable {
            let embedded = tokens(inputs, shape: [batch, length]) + positions(Array(0..<length), shape: [length])
            return readout(finalNorm(encoder(embedded, mode: &mode)))
        }

        public func namedParameters() -> [(name: String, parameter: Parameter)] {
            prefixed("tokens", tokens) + prefixed("positions", positions) + prefixed("encoder", encoder)
                + prefixed("finalNorm", finalNorm) + prefixed("readout", readout)
        }
    }

    /// `count` random sequences and their reversals, flattened row-major.
    public static func batch(
        count: Int, configuration: Configuration, rng: inout SeededRandom
    ) -> (inputs: [Int], targets: [Int]) {
        let length = configuration.length
        var inputs = [Int](repeating: 0, count: count * length)
        var targets = inputs
        for s in 0..<count {
            for i in 0..<length { inputs[s * length + i] = rng.int(below: configuration.vocabulary) }
            for i in 0..<length { targets[s * length + i] = inputs[s * length + length - 1 - i] }
        }
        return (inputs, targets)
    }

    /// Trains a fresh model and evaluates it on held-out sequences.
    /// - Parameters:
    ///   - reportEvery: steps between progress reports (the last step always reports).
    ///   - progress: called with each report.
    /// - Returns: the summary and the trained model.
    public static func train(
        _ configuration: Configuration, reportEvery: Int = 25, progress: (Progress) -> Void = { _ in }
    ) -> (summary: Summary, model: Model) {
        var rng = SeededRandom(seed: configuration.seed)
        let model = Model(configuration, rng: &rng)
        let optimizer = AdamW(
            parameters: model.parameters,
            configuration: .init(learningRate: configuration.learningRate, weightDecay: configuration.weightDecay),
            withoutDecay: model.parametersWithoutDecay
        )
        let schedule = CosineSchedule(
            peak: configuration.learningRate, warmupSteps: configuration.warmupSteps, totalSteps: configuration.steps)
        var mode = ForwardMode.training(seed: configuration.seed &+ 1)
        var data = rng.split(2)
        let tokensPerStep = configuration.batch * configuration.length
        let watch = Stopwatch()
        var recentLosses: [Float] = []
        var windowLoss: Float = 0
        var windowSteps = 0
        for step in 0..<configuration.steps {
            let (inputs, targets) = batch(count: configuration.batch, configuration: configuration, rng: &data)
            let logits = model(inputs, batch: configuration.batch, length: configuration.length, mode: &mode)
            let loss = logits.crossEntropy(targets: targets)
            loss.backward()
            GradientClipping.clipGlobalNorm(optimizer.parameters, maxNorm: configuration.clipNorm)
            let rate = schedule.learningRate(at: step)
            optimizer.step(learningRate: rate)
            let value = loss.value.scalar
            recentLosses.append(value)
            if recentLosses.count > 20 { recentLosses.removeFirst() }
            windowLoss += value
            windowSteps += 1
            if (step + 1) % reportEvery == 0 || step + 1 == configuration.steps {
                let elapsed = watch.elapsed
                let rate = Double((step + 1) * tokensPerStep) / elapsed
                progress(
                    Progress(
                        step: step + 1, steps: configuration.steps, loss: windowLoss / Float(windowSteps),
                        learningRate: schedule.learningRate(at: step), tokensPerSecond: rate, elapsedSeconds: elapsed,
                        etaSeconds: elapsed / Double(step + 1) * Double(configuration.steps - step - 1)
                    ))
                windowLoss = 0
                windowSteps = 0
            }
        }
        let seconds = watch.elapsed
        let evaluation = evaluate(model, configuration: configuration)
        let summary = Summary(
            steps: configuration.steps,
            finalTrainingLoss: recentLosses.reduce(0, +) / Float(max(recentLosses.count, 1)),
            evaluationLoss: evaluation.loss, tokenAccuracy: evaluation.tokenAccuracy,
            sequenceAccuracy: evaluation.sequenceAccuracy, seconds: seconds,
            tokensPerSecond: Double(configuration.steps * tokensPerStep) / seconds,
            parameterCount: model.parameterCount
        )
        return (summary, model)
    }

    /// Loss and accuracies on fresh held-out sequences (a seed stream training never uses),
    /// without dropout and without recording the graph.
    public static func evaluate(
        _ model: Model, configuration: Configuration
    ) -> (loss: Float, tokenAccuracy: Double, sequenceAccuracy: Double) {
        var rng = SeededRandom(seed: configuration.seed ^ 0x5EED_E7A1)
        let count = configuration.evaluationSequences
        let (inputs, targets) = batch(count: count, configuration: configuration, rng: &rng)
        var mode = ForwardMode.inference
        let (logits, loss) = GradMode.withoutGrad {
            let logits = model(inputs, batch: count, length: configuration.length, mode: &mode)
            return (logits.value, logits.crossEntropy(targets: targets).value.scalar)
        }
        let classes = configuration.vocabulary
        var correctTokens = 0
        var correctSequences = 0
        for s in 0..<count {
            var allRight = true
            for i in 0..<configuration.length {
                let row = (s * configuration.length + i) * classes
                var best = 0
                for c in 1..<classes where logits[flat: row + c] > logits[flat: row + best] { best = c }
                if best == targets[s * configuration.length + i] { correctTokens += 1 } else { allRight = false }
            }
            if allRight { correctSequences += 1 }
        }
        return (
            loss, Double(correctTokens) / Double(count * configuration.length), Double(correctSequences) / Double(count)
        )
    }
}
