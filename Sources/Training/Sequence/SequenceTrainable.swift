import Data
import Evaluation
import Foundation
import Models
import Tensor

/// A next-item model the ``SequenceTrainer`` can train: the SID generator, SASRec, SASRec*.
///
/// The trainer owns the loop (sampling, schedule, budget, validation, early stopping); the model
/// supplies its loss on a batch of training windows and a recommender for validation.
public protocol SequenceTrainable: AnyObject {
    /// A short name for progress lines and reports.
    var name: String { get }
    /// Trainable parameters.
    var parameters: [Parameter] { get }
    /// Parameters AdamW should not decay (norms, biases, position tables).
    var parametersWithoutDecay: [Parameter] { get }
    /// Number of trainable floats.
    var parameterCount: Int { get }

    /// The loss on `windows` of `split` and the number of tokens (positions) it covered.
    /// - Parameter mode: training (dropout on, masks from its stream) or inference.
    func loss(windows: ArraySlice<SampleReference>, split: LeaveOneOutSplit, mode: inout ForwardMode) throws -> (loss: Variable, tokens: Int)

    /// The model as a recommender over its current parameters. The trainer asks for a new one at
    /// every validation, so it may take a snapshot of them.
    func recommender() throws -> SequenceRecommender

    /// Writes the current parameters to `url` (the best checkpoint).
    func saveCheckpoint(to url: URL) throws
}

extension SequenceTrainable {
    /// A copy of every parameter's value.
    public func snapshot() -> [Tensor] { parameters.map(\.value) }

    /// Puts back values from ``snapshot()``.
    public func restore(_ values: [Tensor]) {
        for (p, v) in zip(parameters, values) { p.value = v }
    }
}
