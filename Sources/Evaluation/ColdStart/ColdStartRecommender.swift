/// A prediction to make in a cold-start evaluation: the user's earlier items (evaluation
/// indices, new items included once seen) and the time of the event to predict.
public struct ColdStartRequest: Sendable {
    /// The history, oldest first, cut to the model's limit.
    public var history: ArraySlice<Int32>
    /// The time of the held-out event; a method may use only what happened before it.
    public var time: Double

    public init(history: ArraySlice<Int32>, time: Double) {
        self.history = history
        self.time = time
    }
}

/// A method that ranks items for cold-start requests over the evaluation indices of a
/// ``ColdStartSplit`` (warm items first, then new items).
public protocol ColdStartRecommender {
    /// The method's name in reports.
    var name: String { get }

    /// The top `k` items for each request, best first: over the whole catalogue, or with
    /// `newOnly` over the new items alone.
    func recommend(_ requests: [ColdStartRequest], k: Int, newOnly: Bool) throws -> [[Int32]]
}
