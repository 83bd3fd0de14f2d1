public import Data
import Evaluation
import Foundation
import Models
import Tensor

/// Trains a next-item model (the T5 and causal SID generators, SASRec, SASRec*) under one set of
/// rules, so compared models differ only in the model: AdamW, linear warm-up sized to the planned
/// run then cosine decay, the rate decayed on validation plateaus (``LearningRatePlateau``),
/// gradient clipping, the same training targets per epoch, data-parallel steps over
/// ``SequenceTrainingConfiguration/threads`` workers, model selection and early stopping on
/// validation NDCG@10 of the model's own full ranking, and an optional time budget.
///
/// An epoch teaches every training target once: one window per target for models that learn
/// the last position only, non-overlapping tiles for models that learn every position
/// (``SequenceTrainable/learnsEveryPosition``). Validation runs ``SequenceTrainingConfiguration/validationsPerEpoch``
/// times per epoch; the run stops when ``SequenceTrainingConfiguration/patienceEpochs`` epochs
/// pass without a better NDCG@10 (never before ``SequenceTrainingConfiguration/minEpochs``), at
/// ``SequenceTrainingConfiguration/maxEpochs``, or when the budget runs out. The best parameters
/// are kept (and written to the checkpoint directory) and restored at the end.
///
/// With a checkpoint directory the loop's whole state is written at every validation and at
/// least every ``SequenceTrainingConfiguration/checkpointEverySeconds``;
/// ``SequenceTrainingConfiguration/resume`` continues from it (see ``TrainingResumeState``).
public final class SequenceTrainer<Model: SequenceTrainable> {
    public let configuration: SequenceTrainingConfiguration
    public let model: Model
    public let split: LeaveOneOutSplit
    /// Receives progress lines.
    public var progress: (String) -> Void
    /// Validate with each user's earlier items left out of the rankings (see
    /// ``RankingEvaluator/excludeHistory``). An evaluation protocol rather than part of the
    /// training trajectory, so a resume state does not record it: keep it the same when resuming.
    public var excludeHistory = false
    /// Stop (as an interruption would) after this many optimiser steps in total, leaving the
    /// resume state of the last checkpoint. For tests of resumption.
    var interruptAfterSteps: Int?

    public init(
        model: Model, split: LeaveOneOutSplit, configuration: SequenceTrainingConfiguration,
        progress: @escaping (String) -> Void = { _ in }
    ) {
        self.model = model
        self.split = split
        self.configuration = configuration
        self.progress = progress
    }

    /// Trains; on return the model holds the best parameters seen.
    /// - Throws: ``SequenceModelError`` for unusable settings or data, a mismatched resume state,
    ///   or divergence; I/O errors from checkpoints.
    public func train() throws -> SequenceTrainingReport {
        let settings = configuration
        try settings.validate()
        let sampler = TrainingWindowSampler(
            split: split, sampling: settings.windowSampling, seed: settings.seed, tiles: model.learnsEveryPosition)
        let perEpoch = sampler.windowsPerEpoch
        guard perEpoch > 0 else {
            throw SequenceModelError(.invalidInput, "the split has no training windows (users need at least 4 events)")
        }
        let stepsPerEpoch = (perEpoch + settings.batchSize - 1) / settings.batchSize
        let fullSchedule = stepsPerEpoch * settings.maxEpochs
        var loop = SequenceTrainingLoop(
            fingerprint: "\(model.name) \(settings.trajectoryFingerprint)",
            parameterShapes: model.parameters.map(\.shape),
            epoch: 0, position: 0, report: SequenceTrainingReport(), bestScore: -1, bestEpoch: 0,
            lossSum: 0, lossSteps: 0, scheduleTotalSteps: fullSchedule,
            scheduleWarmupSteps: Self.warmup(settings, plannedSteps: fullSchedule),
            planned: settings.timeBudgetSeconds == nil,
            plateau: LearningRatePlateau(epochs: settings.plateauEpochs, factor: settings.plateauFactor),
            elapsedSeconds: 0, finished: false)
        let optimizer = AdamW(
            parameters: model.parameters,
            configuration: .init(learningRate: settings.learningRate, weightDecay: settings.weightDecay),
            withoutDecay: model.parametersWithoutDecay)
        var best = model.snapshot()
        let stateURL = settings.checkpointDirectory.map {
            TrainingResumeState<SequenceTrainingLoop>.url(directory: $0, model: model.name)
        }
        if settings.resume, let stateURL, FileManager.default.fileExists(atPath: stateURL.path) {
            let state = try TrainingResumeState<SequenceTrainingLoop>(
                contentsOf: stateURL, fingerprint: loop.fingerprint, shapes: loop.parameterShapes)
            loop = state.loop
            model.restore(state.parameters)
            best = state.best
            optimizer.restore(
                stepCount: state.adamSteps, firstMoments: state.firstMoments, secondMoments: state.secondMoments)
            progress(
                "\(model.name): resumed from \(stateURL.path) at epoch \(loop.epoch + 1), step \(loop.report.totalSteps), \(Int(loop.elapsedSeconds)) s trained\(loop.finished ? " (the run had finished)" : "")"
            )
            if loop.finished {
                model.restore(best)
                return loop.report
            }
        }
        var schedule = CosineSchedule(
            peak: settings.learningRate, warmupSteps: loop.scheduleWarmupSteps, totalSteps: loop.scheduleTotalSteps)
        let gradients = try DataParallelGradients(model: model, workers: settings.threads)
        let evaluator = RankingEvaluator(
            split: split, batchSize: settings.evaluationBatchSize, userLimit: settings.validationUsers,
            threads: settings.threads,
            excludeHistory: excludeHistory)
        progress(
            "\(model.name): \(model.parameterCount) parameters, \(perEpoch) \(model.learnsEveryPosition ? "tiles" : "windows")/epoch, \(stepsPerEpoch) steps/epoch of \(settings.batchSize), \(gradients.workers) worker\(gradients.workers == 1 ? "" : "s"), warm-up \(schedule.warmupSteps) steps"
        )

        let clock = Stopwatch()
        var checkpointClock = Stopwatch()
        var elapsed: Double { loop.elapsedSeconds + clock.elapsed }
        var lastValidationSeconds = 0.0

        func saveState() throws {
            guard let stateURL else { return }
            var saved = loop
            saved.elapsedSeconds = elapsed
            saved.scheduleTotalSteps = schedule.totalSteps
            saved.scheduleWarmupSteps = schedule.warmupSteps
            try TrainingResumeState(
                loop: saved, parameters: model.snapshot(), best: best, adamSteps: optimizer.stepCount,
                firstMoments: optimizer.firstMoments, secondMoments: optimizer.secondMoments
            ).write(to: stateURL)
            checkpointClock.restart()
        }

        /// Under a time budget, fits the schedule to the steps the remaining time affords at the
        /// mean step time so far: first after 3 steps, then at every progress line, so a slow
        /// start (another job on a shared machine) neither strands the budget nor overruns it.
        func replan() {
            guard let budget = settings.timeBudgetSeconds, loop.report.totalSteps >= 3 else { return }
            let perStep = loop.report.stepSeconds / Double(loop.report.totalSteps)
            let affordable = Int(max(0, budget * 0.9 - elapsed) / perStep)
            let planned = max(loop.report.totalSteps + 1, min(fullSchedule, loop.report.totalSteps + affordable))
            if !loop.planned {
                schedule.totalSteps = planned
                schedule.warmupSteps = Self.warmup(settings, plannedSteps: planned)
                loop.planned = true
                progress(
                    "time budget \(Int(budget)) s: planned \(planned) steps at \(String(format: "%.2f", perStep)) s/step, warm-up \(schedule.warmupSteps)"
                )
            } else if abs(planned - schedule.totalSteps) > max(2, schedule.totalSteps / 20) {
                progress(
                    "time budget \(Int(budget)) s: re-planned \(schedule.totalSteps) -> \(planned) steps at \(String(format: "%.2f", perStep)) s/step"
                )
                schedule.totalSteps = planned
            }
        }

        /// Validates, keeps the best parameters, writes the state; returns true when early
        /// stopping ends the run.
        func validate() throws -> Bool {
            let snapshotModel = RecommenderSource(model)
            let outcome = try evaluator.evaluate(name: model.name, on: .validation) { try snapshotModel.recommender() }
            lastValidationSeconds = outcome.seconds
            let record = SequenceTrainingReport.Validation(
                epoch: loop.report.epochs, step: loop.report.totalSteps,
                meanLoss: loop.lossSum / Double(max(1, loop.lossSteps)),
                ndcg10: outcome.metrics["ndcg@10"] ?? 0, recall10: outcome.metrics["recall@10"] ?? 0,
                ndcg10Error: outcome.metrics["ndcg@10.se"] ?? 0, recall10Error: outcome.metrics["recall@10.se"] ?? 0,
                users: outcome.users, seconds: elapsed)
            loop.report.validations.append(record)
            (loop.lossSum, loop.lossSteps) = (0, 0)
            let window = loop.report.validations.suffix(settings.validationSmoothing)
            let score = window.reduce(0) { $0 + $1.ndcg10 } / Double(window.count)
            let improved = score > loop.bestScore
            let smoothed =
                settings.validationSmoothing > 1
                ? " mean of last \(window.count) N@10 \(String(format: "%.4f", score))" : ""
            progress(
                "validation at epoch \(String(format: "%.2f", record.epoch)) step \(record.step): loss \(String(format: "%.4f", record.meanLoss)) \(outcome.ranking.formatted(ndcgAt: 10)) \(outcome.ranking.formatted(recallAt: 10)) (\(record.users) users, \(String(format: "%.1f", outcome.seconds)) s)\(smoothed)\(improved ? " best" : "")"
            )
            if improved {
                loop.bestScore = score
                loop.bestEpoch = record.epoch
                best = model.snapshot()
                loop.report.bestValidation = loop.report.validations.count - 1
                if let directory = settings.checkpointDirectory {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    try model.saveCheckpoint(
                        to: URL(fileURLWithPath: directory).appendingPathComponent("\(model.name)-best.safetensors"))
                }
            }
            if !improved, loop.plateau.observe(epoch: record.epoch, bestEpoch: loop.bestEpoch) {
                progress(
                    "no better validation since epoch \(String(format: "%.2f", loop.bestEpoch)): learning rate now \(loop.plateau.scale) of the schedule"
                )
            }
            try saveState()
            return record.epoch >= Double(settings.minEpochs) - 1e-9
                && record.epoch - loop.bestEpoch >= Double(settings.patienceEpochs) - 1e-9
        }

        let validationSteps = Set(
            (1..<settings.validationsPerEpoch).map { $0 * stepsPerEpoch / settings.validationsPerEpoch })
        training: while loop.epoch < settings.maxEpochs {
            let windows = sampler.windows(epoch: loop.epoch)
            var logClock = Stopwatch()
            var tokensSinceLog = 0
            while loop.position < windows.count {
                let chunk = windows[loop.position..<min(windows.count, loop.position + settings.batchSize)]
                let stepClock = Stopwatch()
                let step = loop.report.totalSteps
                let rate = schedule.learningRate(at: step) * loop.plateau.scale
                let seed = settings.seed &+ 2
                let (lossValue, tokens, _) = try gradients.compute(windows: chunk, split: split) { worker in
                    ForwardMode.training(rng: SeededRandom(seed: seed).split(UInt64(step)).split(UInt64(worker)))
                }
                if settings.gradientClip > 0 {
                    _ = GradientClipping.clipGlobalNorm(model.parameters, maxNorm: settings.gradientClip)
                }
                optimizer.step(learningRate: rate)
                optimizer.zeroGrad()
                guard lossValue.isFinite else {
                    throw SequenceModelError(
                        .diverged,
                        "\(model.name) training loss became \(lossValue) at step \(step); lower the learning rate or enable gradient clipping"
                    )
                }
                loop.position += chunk.count
                loop.report.stepSeconds += stepClock.elapsed
                loop.report.totalSteps += 1
                loop.report.totalSamples += chunk.count
                loop.report.totalTokens += tokens
                tokensSinceLog += tokens
                loop.lossSum += lossValue
                loop.lossSteps += 1
                loop.report.epochs = Double(loop.epoch) + Double(loop.position) / Double(windows.count)
                let stepInEpoch = (loop.position + settings.batchSize - 1) / settings.batchSize

                if loop.report.totalSteps == 3 { replan() }
                if loop.report.totalSteps % max(1, settings.progressEverySteps) == 0 || loop.position == windows.count {
                    replan()
                    let remaining =
                        Double(max(0, schedule.totalSteps - loop.report.totalSteps)) * loop.report.stepSeconds
                        / Double(loop.report.totalSteps)
                    progress(
                        "epoch \(loop.epoch + 1) step \(loop.report.totalSteps)/\(schedule.totalSteps) loss \(String(format: "%.4f", lossValue)) lr \(String(format: "%.2e", rate)) \(Int(Double(tokensSinceLog) / max(logClock.elapsed, 1e-9))) tokens/s elapsed \(Int(elapsed)) s ETA \(Int(remaining)) s (at most; early stopping may end sooner)"
                    )
                    logClock.restart()
                    tokensSinceLog = 0
                }
                if let interrupt = interruptAfterSteps, loop.report.totalSteps >= interrupt {
                    return loop.report
                }
                if let budget = settings.timeBudgetSeconds,
                    elapsed + lastValidationSeconds >= budget || loop.report.totalSteps >= schedule.totalSteps
                {
                    loop.report.stopReason = "time-budget"
                    _ = try validate()
                    break training
                }
                if loop.position < windows.count, validationSteps.contains(stepInEpoch) {
                    if try validate() {
                        loop.report.stopReason = "early-stopping"
                        break training
                    }
                } else if checkpointClock.elapsed >= settings.checkpointEverySeconds {
                    try saveState()
                }
            }
            loop.epoch += 1
            loop.position = 0
            if try validate() {
                loop.report.stopReason = "early-stopping"
                break
            }
        }
        model.restore(best)
        loop.report.trainingSeconds = elapsed
        loop.finished = true
        try saveState()
        let kept = loop.report.bestValidation >= 0 ? loop.report.validations[loop.report.bestValidation] : nil
        progress(
            "\(model.name) done: \(loop.report.totalSteps) steps, \(String(format: "%.2f", loop.report.epochs)) epochs in \(Int(loop.report.trainingSeconds)) s (\(Int(loop.report.tokensPerSecond)) tokens/s in steps), stop: \(loop.report.stopReason); kept epoch \(String(format: "%.2f", kept?.epoch ?? 0)): validation NDCG@10 \(String(format: "%.4f ± %.4f", kept?.ndcg10 ?? 0, kept?.ndcg10Error ?? 0)), R@10 \(String(format: "%.4f ± %.4f", kept?.recall10 ?? 0, kept?.recall10Error ?? 0))"
        )
        return loop.report
    }

    /// Warm-up steps for a run of `plannedSteps`: the configured share, at least one step.
    static func warmup(_ settings: SequenceTrainingConfiguration, plannedSteps: Int) -> Int {
        max(1, Int((Double(plannedSteps) * settings.warmupFraction).rounded()))
    }
}
