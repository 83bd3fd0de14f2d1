/// The topic names the daemon reads and writes.
public struct ServeTopics: Sendable, Hashable {
    /// Item events (input).
    public var items = "resid.items.v1"
    /// Interaction events (input).
    public var interactions = "resid.interactions.v1"
    /// Predictions (output).
    public var predictions = "resid.predictions.v1"
    /// Item SIDs (output; compacted; every instance follows it from the start).
    public var itemSIDs = "resid.item-sids.v1"
    /// Dead letters (output).
    public var deadLetter = "resid.deadletter.v1"

    /// The repository's topic names.
    public init() {}
}
