public import Data
import Foundation
public import Models
import Tensor

/// Trains FAMAE: AdamW with decoupled weight decay, linear warm-up then cosine decay,
/// model selection and early stopping on the validation metrics, keeping the best parameters.
///
/// Each epoch draws its windows with the Data module's ``TrainingWindowSampler`` under
/// ``FAMAETrainingConfiguration/sampling``, masks each target by the FAMAE rule and steps once
/// per batch. After each epoch both task-aware metrics are computed on the validation split; the
/// selection score is their mean. Training stops at ``FAMAETrainingConfiguration/maxEpochs``,
/// after ``FAMAETrainingConfiguration/patience`` epochs without improvement, or when the time
/// budget runs out. With a budget, the cosine schedule's length is planned once the step time is
/// known and re-planned at every progress line, so the learning rate reaches its floor when the
/// budget does even if the machine was busy during the first steps.
///
/// With ``FAMAETrainingConfiguration/checkpointDirectory`` the whole state is written after
/// every epoch (`famae-resume.safetensors`), and ``FAMAETrainingConfiguration/resume`` continues
/// from it at the next epoch: an hour-long ML-1M run survives an interruption.
public final class FAMAETrainer {
    /// Training settings.
    public let configuration: FAMAETrainingConfiguration
    /// The model being trained.
    public let model: FAMAEModel
    /// The split providing training windows and validation samples.
    public let split: LeaveOneOutSplit
    /// Receives progress lines (epoch, step, loss, samples/s, ETA).
    public var progress: (String) -> Void
    /// Called with the model whenever a new best is reached (to write a checkpoint).
    public var onBest: (FAMAEModel, FAMAETrainingReport.EpochRecord) throws -> Void = { _, _ in }
    /// Returns after this many epochs (of the whole run) as if the process had been killed
    /// right after writing the resume state. For tests of resumption.
    var interruptAfterEpochs: Int?

    /// A trainer for `model` on `split`.
    public init(
        model: FAMAEModel, split: LeaveOneOutSplit, configuration: FAMAETrainingConfiguration,
        progress: @escaping (String) -> Void = { _ in }
    ) {
        self.model = model
        self.split = split
        self.configuration = configuration
        self.progress = progress
    }

    /// Runs training; on return the model holds the best parameters seen.
    /// - Throws: ``FAMAEError`` for invalid settings or inputs; whatever ``onBest`` throws.
    public func train() throws -> FAMAETrainingReport {
        let settings = configuration
        guard settings.batchSize >= 1, settings.maxEpochs >= 1, settings.patience >= 1 else {
            throw FAMAEError(.invalidConfiguration, "batch size, max epochs and patience must be at least 1")
        }
        let batcher = FAMAESampleBatcher(
            split: split, catalog: model.catalog, historyLength: model.configuration.historyLength)
        let evaluator = FAMAEEvaluator(batcher: batcher)
        let sampler = TrainingWindowSampler(split: split, sampling: settings.sampling, seed: settings.seed)
        var validation = split.validationSamples
        if let limit = settings.validationLimit, limit < validation.count {
            validation = Array(validation.prefix(limit))
        }
        let perEpoch = sampler.windowsPerEpoch
        guard perEpoch > 0 else { throw FAMAEError(.invalidInput, "the split has no training windows") }
        let stepsPerEpoch = (perEpoch + settings.batchSize - 1) / settings.batchSize
        let fullSchedule = stepsPerEpoch * settings.maxEpochs
        var schedule = CosineSchedule(
            peak: settings.learningRate,
            warmupSteps: max(1, Int(Double(fullSchedule) * settings.warmupFraction)),
            totalSteps: fullSchedule)
        let optimizer = AdamW(
            parameters: model.parameters,
            configuration: .init(learningRate: settings.learningRate, weightDecay: settings.weightDecay),
            withoutDecay: model.parametersWithoutDecay)
        let master = model
        let gradients = try DataParallelGradients(
            master: model, workers: settings.threads, parameters: { $0.parameters },
            replicate: { try FAMAEModel(configuration: master.configuration, catalog: master.catalog, seed: 0) })
        let heads = gradients.replicas.map { FAMAEHead(model: $0) }
        progress(
            "FAMAE: \(model.parameterCount) parameters, \(perEpoch) windows/epoch, \(stepsPerEpoch) steps/epoch of \(settings.batchSize), \(gradients.workers) worker\(gradients.workers == 1 ? "" : "s")"
        )

        var loop = FAMAETrainingLoop(
            fingerprint: settings.trajectoryFingerprint, parameterShapes: model.parameters.map(\.shape), epoch: 0,
            report: FAMAETrainingReport(), bestScore: -1, sinceBest: 0,
            scheduleTotalSteps: schedule.totalSteps, scheduleWarmupSteps: schedule.warmupSteps,
            replanned: settings.timeBudget == nil, elapsedSeconds: 0, evaluationSeconds: 0, finished: false)
        loop.report.stopReason = "max-epochs"
        var best: [Tensor] = model.snapshot()
        let stateURL = settings.checkpointDirectory.map {
            TrainingResumeState<FAMAETrainingLoop>.url(directory: $0, model: "famae")
        }
        if settings.resume, let stateURL, FileManager.default.fileExists(atPath: stateURL.path) {
            let state = try TrainingResumeState<FAMAETrainingLoop>(
                contentsOf: stateURL, fingerprint: loop.fingerprint, shapes: loop.parameterShapes)
            loop = state.loop
            model.restore(state.parameters)
            best = state.best
            optimizer.restore(
                stepCount: state.adamSteps, firstMoments: state.firstMoments, secondMoments: state.secondMoments)
            (schedule.totalSteps, schedule.warmupSteps) = (loop.scheduleTotalSteps, loop.scheduleWarmupSteps)
            progress(
                "FAMAE: resumed from \(stateURL.path) at epoch \(loop.epoch + 1), step \(loop.report.totalSteps), \(Int(loop.elapsedSeconds)) s trained\(loop.finished ? " (the run had finished)" : "")"
            )
            if loop.finished {
                model.restore(best)
                return loop.report
            }
        }
        let clock = Stopwatch()
        var elapsed: Double { loop.elapsedSeconds + clock.elapsed }

        func saveState() throws {
            guard let stateURL else { return }
            var saved = loop
            saved.elapsedSeconds = elapsed
            (saved.scheduleTotalSteps, saved.scheduleWarmupSteps) = (schedule.totalSteps, schedule.warmupSteps)
            try TrainingResumeState(
                loop: saved, parameters: model.snapshot(), best: best, adamSteps: optimizer.stepCount,
                firstMoments: optimizer.firstMoments, secondMoments: optimizer.secondMoments
            ).write(to: stateURL)
        }

        /// Under a budget, fits the schedule to the steps that the time left affords at the mean
        /// step time so far, after reserving one evaluation per epoch still to come.
        func replan() {
            guard let budget = settings.timeBudget, loop.report.totalSteps >= 5 else { return }
            let steps = loop.report.totalSteps
            let perStep = (elapsed - loop.evaluationSeconds) / Double(steps)
            let perEvaluation =
                loop.report.epochs.isEmpty
                ? perStep * Double(validation.count) / Double(settings.batchSize) * 2
                : loop.evaluationSeconds / Double(loop.report.epochs.count)
            let affordable = Int(max(0, budget - elapsed) / (perStep + perEvaluation / Double(stepsPerEpoch)))
            let planned = max(steps + 1, min(fullSchedule, steps + affordable))
            if !loop.replanned {
                schedule.totalSteps = planned
                schedule.warmupSteps = min(schedule.warmupSteps, max(1, planned / 50))
                loop.replanned = true
                progress("planned \(planned) steps for the \(Int(budget)) s budget (\(format(perStep, 2)) s/step)")
            } else if abs(planned - schedule.totalSteps) > max(2, schedule.totalSteps / 20) {
                progress(
                    "re-planned \(schedule.totalSteps) -> \(planned) steps for the \(Int(budget)) s budget (\(format(perStep, 2)) s/step)"
                )
                schedule.totalSteps = planned
            }
        }

        /// Validates the epoch just trained, keeps the best parameters and writes the state.
        func finishEpoch(_ epoch: Int, steps: Int, samples: Int, lossSum: Double) throws {
            let record = try evaluate(
                epoch: epoch, steps: steps, samples: samples, lossSum: lossSum, evaluator: evaluator,
                validation: validation,
                seconds: elapsed, evaluationSeconds: &loop.evaluationSeconds)
            loop.report.epochs.append(record)
            if select(record, score: &loop.bestScore, best: &best, report: &loop.report, sinceBest: &loop.sinceBest) {
                try onBest(model, record)
            }
            loop.epoch = epoch + 1
        }

        epochs: for epoch in loop.epoch..<settings.maxEpochs {
            let windows = sampler.windows(epoch: epoch)
            var lossSum = 0.0
            var epochSteps = 0
            var epochSamples = 0
            var lastLog = Stopwatch()
            var samplesSinceLog = 0
            var stepStart = 0
            while stepStart < windows.count {
                let chunk = windows[stepStart..<min(windows.count, stepStart + settings.batchSize)]
                stepStart += settings.batchSize
                // Masks, negatives and dropout come from streams per step and worker, so a step's
                // draws do not depend on how the batch was split.
                let step = UInt64(loop.report.totalSteps)
                let (lossValue, _, _) = try gradients.compute(chunk) { replica, shard, worker in
                    var random = SeededRandom(seed: settings.seed).split(1).split(step).split(UInt64(worker))
                    var mode = ForwardMode.training(
                        rng: SeededRandom(seed: settings.seed &+ 2).split(step).split(UInt64(worker)))
                    let batch = try batcher.trainingBatch(shard, random: &random)
                    let states = try replica.targetStates(batch, mode: &mode)
                    let (loss, _) = heads[worker].loss(hidden: states, batch: batch, random: &random)
                    return BatchLoss(
                        loss: loss, tokens: shard.count * master.configuration.sequenceLength, targets: shard.count)
                }
                let rate = schedule.learningRate(at: loop.report.totalSteps)
                optimizer.step(learningRate: rate)
                optimizer.zeroGrad()
                loop.report.totalSteps += 1
                loop.report.totalSamples += chunk.count
                epochSteps += 1
                epochSamples += chunk.count
                samplesSinceLog += chunk.count
                lossSum += lossValue

                if loop.report.totalSteps == 5 { replan() }
                if loop.report.totalSteps % settings.logEvery == 0 || stepStart >= windows.count {
                    replan()
                    let throughput = Double(samplesSinceLog) / max(1e-9, lastLog.elapsed)
                    let remainingSteps = Double(max(0, schedule.totalSteps - loop.report.totalSteps))
                    let eta = remainingSteps * elapsed / Double(loop.report.totalSteps)
                    progress(
                        "epoch \(epoch + 1) step \(epochSteps)/\(stepsPerEpoch) (total \(loop.report.totalSteps)/\(schedule.totalSteps)) loss \(format(lossValue, 4)) lr \(String(format: "%.2e", Double(rate))) \(Int(throughput)) samples/s elapsed \(Int(elapsed)) s ETA \(Int(eta)) s"
                    )
                    lastLog.restart()
                    samplesSinceLog = 0
                }
                if let budget = settings.timeBudget {
                    let perEval =
                        loop.report.epochs.isEmpty
                        ? elapsed / Double(loop.report.totalSteps) * Double(validation.count)
                            / Double(settings.batchSize) * 2
                        : loop.evaluationSeconds / Double(loop.report.epochs.count)
                    if elapsed + perEval >= budget || loop.report.totalSteps >= schedule.totalSteps {
                        loop.report.stopReason = "time-budget"
                        try finishEpoch(epoch, steps: epochSteps, samples: epochSamples, lossSum: lossSum)
                        break epochs
                    }
                }
            }
            try finishEpoch(epoch, steps: epochSteps, samples: epochSamples, lossSum: lossSum)
            if loop.sinceBest >= settings.patience {
                loop.report.stopReason = "early-stopping"
                break
            }
            try saveState()
            if let interrupt = interruptAfterEpochs, loop.epoch >= interrupt { return loop.report }
        }
        model.restore(best)
        loop.report.trainingSeconds = elapsed
        loop.report.samplesPerSecond = Double(loop.report.totalSamples) / max(1e-9, elapsed - loop.evaluationSeconds)
        loop.finished = true
        try saveState()
        let report = loop.report
        progress(
            "done: \(report.totalSteps) steps, \(report.totalSamples) samples in \(Int(report.trainingSeconds)) s (\(Int(report.samplesPerSecond)) samples/s), best epoch \(report.bestEpoch), stop: \(report.stopReason)"
        )
        return report
    }

    private func evaluate(
        epoch: Int, steps: Int, samples: Int, lossSum: Double, evaluator: FAMAEEvaluator,
        validation: [SampleReference], seconds: Double, evaluationSeconds: inout Double
    ) throws -> FAMAETrainingReport.EpochRecord {
        let watch = Stopwatch()
        let result = try evaluator.evaluate(model, samples: validation)
        evaluationSeconds += watch.elapsed
        let record = FAMAETrainingReport.EpochRecord(
            epoch: epoch + 1, steps: steps, samples: samples, meanLoss: lossSum / Double(max(1, steps)),
            validationMetric1: result.metric1, validationMetric2: result.metric2, seconds: seconds + watch.elapsed)
        progress(
            "epoch \(epoch + 1) done: mean loss \(format(record.meanLoss, 4)), validation Metric1 R@10 \(format(result.metric1, 4)), Metric2 R@10 \(format(result.metric2, 4)) (\(validation.count) users, eval \(format(watch.elapsed, 1)) s)"
        )
        return record
    }

    /// Updates the best model; returns whether `record` is a new best.
    private func select(
        _ record: FAMAETrainingReport.EpochRecord, score bestScore: inout Double, best: inout [Tensor],
        report: inout FAMAETrainingReport, sinceBest: inout Int
    ) -> Bool {
        let score = (record.validationMetric1 + record.validationMetric2) / 2
        guard score > bestScore else {
            sinceBest += 1
            return false
        }
        bestScore = score
        best = model.snapshot()
        report.bestEpoch = record.epoch
        report.bestScore = score
        sinceBest = 0
        return true
    }

    private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
