import Data
import Foundation
import Testing

@testable import Training

/// The score that keeps the best model and stops a run: the mean of the last validations.
@Suite("Validation smoothing")
struct ValidationSmoothingTests {
    /// The kept model is the last of the window with the best mean NDCG@10, and a run with
    /// smoothing 1 keeps the single best validation.
    @Test(arguments: [1, 3])
    func keptValidationEndsTheBestWindow(smoothing: Int) throws {
        let data = try EveryPositionTrainingTests.prepared()
        var settings = SequenceTrainingConfiguration()
        (settings.batchSize, settings.maxEpochs, settings.minEpochs, settings.patienceEpochs) = (16, 8, 8, 8)
        (settings.validationsPerEpoch, settings.validationUsers, settings.validationSmoothing) = (2, 20, smoothing)
        let model = try EveryPositionTrainingTests.sasrec(items: data.items.count, dropout: 0.2)
        let report = try SequenceTrainer(model: model, split: data.split, configuration: settings).train()
        let scores = report.validations.map(\.ndcg10)
        #expect(scores.count == 16)
        let means = scores.indices.map { i in
            let window = scores[max(0, i - smoothing + 1)...i]
            return window.reduce(0, +) / Double(window.count)
        }
        // The first index reaching the maximum mean (later ties are not improvements).
        let best = means.indices.first { means[$0] == means.max() }!
        #expect(report.bestValidation == best)
    }

    /// Resume states written before smoothing existed described no such field; at smoothing 1
    /// the fingerprint still leaves it out, so they stay resumable.
    @Test func fingerprintNamesSmoothingOnlyAboveOne() {
        var settings = SequenceTrainingConfiguration()
        settings.validationSmoothing = 1
        #expect(!settings.trajectoryFingerprint.contains("validationSmoothing"))
        #expect(settings.trajectoryFingerprint.hasSuffix("resume: false)"))
        settings.validationSmoothing = 3
        #expect(settings.trajectoryFingerprint.contains("validationSmoothing: 3"))
    }
}
