public import Evaluation

/// Hands each evaluation worker its own recommender from one trained model.
///
/// `recommender()` only reads the model's parameters, and no training step runs while an
/// evaluation does, so sharing the model across the workers is safe although the model type is
/// not `Sendable`. The model's type is erased here so the workers' closures capture no generic
/// metatype.
public final class RecommenderSource: @unchecked Sendable {
    private let make: () throws -> any SequenceRecommender

    public init(_ model: some SequenceTrainable) { make = { try model.recommender() } }

    /// A recommender over the model's current parameters.
    public func recommender() throws -> any SequenceRecommender { try make() }
}
