public import Data
public import Evaluation
public import Foundation
public import Models
public import Tensor

/// A model's loss on one batch, with what it covered.
public struct BatchLoss {
    /// Mean cross-entropy over ``targets`` (a scalar variable, ready for `backward()`).
    public var loss: Variable
    /// Input positions the forward pass read (for tokens/s).
    public var tokens: Int
    /// Target items the loss teaches (the weight of this batch when shards are combined).
    public var targets: Int

    public init(loss: Variable, tokens: Int, targets: Int) {
        self.loss = loss
        self.tokens = tokens
        self.targets = targets
    }
}

/// A next-item model the ``SequenceTrainer`` can train: the T5 and causal SID generators, SASRec,
/// SASRec*.
///
/// The trainer owns the loop (sampling, schedule, validation, early stopping, checkpoints,
/// data-parallel workers); the model supplies its loss on a batch of training windows, replicas
/// for the workers and a recommender for validation.
public protocol SequenceTrainable: AnyObject {
    /// A short name for progress lines and reports.
    var name: String { get }
    /// Trainable parameters, in a fixed order shared by every replica.
    var parameters: [Parameter] { get }
    /// Parameters AdamW should not decay (norms, biases, position tables).
    var parametersWithoutDecay: [Parameter] { get }
    /// Number of trainable floats.
    var parameterCount: Int { get }
    /// True when one window teaches every position of its history (causal models): the trainer
    /// then feeds non-overlapping tiles (``TrainingWindowSampler``), so an epoch still teaches
    /// each training target once.
    var learnsEveryPosition: Bool { get }

    /// The loss on `windows` of `split`.
    /// - Parameter mode: training (dropout on, masks from its stream) or inference.
    func loss(
        windows: ArraySlice<SampleReference>, split: LeaveOneOutSplit, mode: inout ForwardMode
    ) throws -> BatchLoss

    /// A second instance with the same architecture whose parameters hold the same values (the
    /// tensors are shared copy-on-write), for a data-parallel worker.
    func replica() throws -> Self

    /// The model as a recommender over its current parameters. The trainer asks for a new one at
    /// every validation (and one per evaluation thread), so it may take a snapshot of them.
    func recommender() throws -> any SequenceRecommender

    /// Writes the current parameters to `url` (the best checkpoint, in the model's own format).
    func saveCheckpoint(to url: URL) throws
}

extension SequenceTrainable {
    /// A copy of every parameter's value.
    public func snapshot() -> [Tensor] { parameters.map(\.value) }

    /// Puts back values from ``snapshot()``.
    public func restore(_ values: [Tensor]) {
        for (p, v) in zip(parameters, values) { p.value = v }
    }

    /// Makes this model's parameters share `source`'s current values.
    public func copyValues(from source: some SequenceTrainable) {
        for (p, v) in zip(parameters, source.parameters) { p.value = v.value }
    }
}
