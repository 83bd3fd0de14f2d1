import Data
import Evaluation
import Foundation
import Models
import Tensor

/// Trains a next-item model (the SID generator of SPEC §4, SASRec, SASRec*) under one set of
/// rules, so compared models differ only in the model: AdamW, linear warm-up then cosine decay,
/// gradient clipping, the same training windows, model selection and early stopping on
/// validation NDCG@10 of the model's own full ranking, and the same time budget.
///
/// Each epoch takes its windows from the Data module's ``TrainingWindowSampler``; the cosine
/// schedule spans `maxEpochs` epochs, or, under a time budget, is planned after the first steps
/// and re-planned as training goes so the learning rate reaches its floor when the budget runs
/// out. Validation runs at the
/// end of each epoch (or every ``SequenceTrainingConfiguration/validateEverySteps``) and once
/// more when the budget stops training; the best parameters are kept (and written to the
/// checkpoint directory) and restored at the end.
public final class SequenceTrainer<Model: SequenceTrainable> {
    public let configuration: SequenceTrainingConfiguration
    public let model: Model
    public let split: LeaveOneOutSplit
    /// Receives progress lines.
    public var progress: (String) -> Void

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
    /// - Throws: ``SequenceModelError`` for unusable settings or data, I/O errors from checkpoints.
    public func train() throws -> SequenceTrainingReport {
        let settings = configuration
        guard settings.batchSize >= 1, settings.maxEpochs >= 1, settings.patience >= 1 else {
            throw SequenceModelError(.invalidConfiguration, "batch size, max epochs, and patience must be at least 1")
        }
        let evaluator = RankingEvaluator(split: split, batchSize: settings.evaluationBatchSize, userLimit: settings.validationUsers)
        let sampler = TrainingWindowSampler(split: split, sampling: settings.windowSampling, seed: settings.seed)
        let perEpoch = sampler.windowsPerEpoch
        guard perEpoch > 0 else { throw SequenceModelError(.invalidInput, "the split has no training windows (users need at least 4 events)") }
        let stepsPerEpoch = (perEpoch + settings.batchSize - 1) / settings.batchSize
        let fullSchedule = stepsPerEpoch * settings.maxEpochs
        var schedule = CosineSchedule(
            peak: settings.learningRate, warmupSteps: min(settings.warmupSteps, max(1, fullSchedule / 10)),
            totalSteps: fullSchedule)
        let optimizer = AdamW(
            parameters: model.parameters, configuration: .init(learningRate: settings.learningRate, weightDecay: settings.weightDecay),
            withoutDecay: model.parametersWithoutDecay)
        var mode = ForwardMode.training(seed: settings.seed &+ 2)
        progress("\(model.name): \(model.parameterCount) parameters, \(perEpoch) windows/epoch, \(stepsPerEpoch) steps/epoch of \(settings.batchSize)")

        var report = SequenceTrainingReport()
        var best = model.snapshot()
        var bestScore = -Double.infinity
        var sinceBest = 0
        let clock = Stopwatch()
        var lossSum = 0.0
        var lossSteps = 0
        var replanned = settings.timeBudgetSeconds == nil
        var lastValidationSeconds = 0.0

        /// Under a time budget, fits the schedule to the steps the remaining time affords at the
        /// mean step time so far: first after 3 steps, then at every progress line, so a slow
        /// start (another job on a shared machine) neither strands the budget nor overruns it.
        func replan() {
            guard let budget = settings.timeBudgetSeconds, report.totalSteps >= 3 else { return }
            let perStep = report.stepSeconds / Double(report.totalSteps)
            let affordable = Int(max(0, budget * 0.85 - clock.elapsed) / perStep)
            let planned = max(report.totalSteps + 1, min(fullSchedule, report.totalSteps + affordable))
            if !replanned {
                schedule.totalSteps = planned
                schedule.warmupSteps = min(schedule.warmupSteps, max(1, planned / 20))
                replanned = true
                progress("time budget \(Int(budget)) s: planned \(planned) steps at \(String(format: "%.2f", perStep)) s/step")
            } else if abs(planned - schedule.totalSteps) > max(2, schedule.totalSteps / 20) {
                progress("time budget \(Int(budget)) s: re-planned \(schedule.totalSteps) -> \(planned) steps at \(String(format: "%.2f", perStep)) s/step")
                schedule.totalSteps = planned
            }
        }

        func validate(epoch: Double) throws -> Bool {
            let outcome = try evaluator.evaluate(model.recommender(), on: .validation)
            lastValidationSeconds = outcome.seconds
            let record = SequenceTrainingReport.Validation(
                epoch: epoch, step: report.totalSteps, meanLoss: lossSum / Double(max(1, lossSteps)),
                ndcg10: outcome.metrics["ndcg@10"] ?? 0, recall10: outcome.metrics["recall@10"] ?? 0,
                users: outcome.users, seconds: clock.elapsed)
            report.validations.append(record)
            (lossSum, lossSteps) = (0, 0)
            let improved = record.ndcg10 > bestScore
            progress("validation at epoch \(String(format: "%.2f", epoch)) step \(record.step): loss \(String(format: "%.4f", record.meanLoss)) NDCG@10 \(String(format: "%.4f", record.ndcg10)) R@10 \(String(format: "%.4f", record.recall10)) (\(record.users) users, \(String(format: "%.1f", outcome.seconds)) s)\(improved ? " best" : "")")
            if improved {
                bestScore = record.ndcg10
                best = model.snapshot()
                report.bestValidation = report.validations.count - 1
                sinceBest = 0
                if let directory = settings.checkpointDirectory {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    try model.saveCheckpoint(to: URL(fileURLWithPath: directory).appendingPathComponent("\(model.name)-best.safetensors"))
                }
            } else {
                sinceBest += 1
            }
            return sinceBest >= settings.patience
        }

        training: for epoch in 0..<settings.maxEpochs {
            let windows = sampler.windows(epoch: epoch)
            var start = 0
            var logClock = Stopwatch()
            var tokensSinceLog = 0
            while start < windows.count {
                let chunk = windows[start..<min(windows.count, start + settings.batchSize)]
                start += chunk.count
                let stepClock = Stopwatch()
                let rate = schedule.learningRate(at: report.totalSteps)
                let (loss, tokens) = try model.loss(windows: chunk, split: split, mode: &mode)
                loss.backward()
                if settings.gradientClip > 0 { _ = GradientClipping.clipGlobalNorm(model.parameters, maxNorm: settings.gradientClip) }
                optimizer.step(learningRate: rate)
                optimizer.zeroGrad()
                let lossValue = Double(loss.value.scalar)
                guard lossValue.isFinite else {
                    throw SequenceModelError(.diverged, "\(model.name) training loss became \(lossValue) at step \(report.totalSteps); lower the learning rate or enable gradient clipping")
                }
                report.stepSeconds += stepClock.elapsed
                report.totalSteps += 1
                report.totalSamples += chunk.count
                report.totalTokens += tokens
                tokensSinceLog += tokens
                lossSum += lossValue
                lossSteps += 1
                report.epochs = Double(epoch) + Double(start) / Double(windows.count)

                if report.totalSteps == 3 { replan() }
                if report.totalSteps % max(1, settings.progressEverySteps) == 0 || start == windows.count {
                    replan()
                    let remaining = Double(max(0, schedule.totalSteps - report.totalSteps)) * report.stepSeconds / Double(report.totalSteps)
                    progress("epoch \(epoch + 1) step \(report.totalSteps)/\(schedule.totalSteps) loss \(String(format: "%.4f", lossValue)) lr \(String(format: "%.2e", rate)) \(Int(Double(tokensSinceLog) / max(logClock.elapsed, 1e-9))) tokens/s elapsed \(Int(clock.elapsed)) s ETA \(Int(remaining)) s")
                    logClock.restart()
                    tokensSinceLog = 0
                }
                if let budget = settings.timeBudgetSeconds, clock.elapsed + lastValidationSeconds >= budget || report.totalSteps >= schedule.totalSteps {
                    report.stopReason = "time-budget"
                    _ = try validate(epoch: report.epochs)
                    break training
                }
                if let every = settings.validateEverySteps, report.totalSteps % every == 0, start < windows.count {
                    if try validate(epoch: report.epochs) {
                        report.stopReason = "early-stopping"
                        break training
                    }
                }
            }
            if try validate(epoch: report.epochs) {
                report.stopReason = "early-stopping"
                break
            }
        }
        model.restore(best)
        report.trainingSeconds = clock.elapsed
        progress("\(model.name) done: \(report.totalSteps) steps, \(report.totalSamples) samples, \(String(format: "%.2f", report.epochs)) epochs in \(Int(report.trainingSeconds)) s (\(Int(report.tokensPerSecond)) tokens/s in steps), best validation NDCG@10 \(String(format: "%.4f", bestScore)), stop: \(report.stopReason)")
        return report
    }
}
