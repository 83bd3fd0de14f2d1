/// A loaded dataset: its item catalogue and its interaction events, before any filtering.
///
/// Produced by the loaders (``RecBoleLoader``, ``CSVLoader``, ``JSONLinesLoader``) and by
/// ``SyntheticDatasetGenerator``; turned into model-ready sequences by ``Preprocessor``.
public struct Dataset: Sendable {
    /// A short name (`ml-1m`, `ml-100k`, a file name, or `synthetic-...` for generated data).
    public var name: String
    /// True for generated data. Every report that shows its numbers must say so.
    public var isSynthetic: Bool
    /// The catalogue (every item of the item file plus items seen only in interactions),
    /// in catalogue form (see ``ItemTable``).
    public var catalog: ItemTable
    /// The events, in source order.
    public var interactions: InteractionLog
    /// Per-column policies for multi-valued catalogue columns that differ from
    /// ``MultiValuePolicy/primaryAndSet`` (dataset presets set these).
    public var multiValueOverrides: [String: MultiValuePolicy]

    /// Creates a dataset; every event's item must be an index of `catalog`.
    public init(
        name: String, isSynthetic: Bool = false, catalog: ItemTable, interactions: InteractionLog,
        multiValueOverrides: [String: MultiValuePolicy] = [:]
    ) {
        self.name = name
        self.isSynthetic = isSynthetic
        self.catalog = catalog
        self.interactions = interactions
        self.multiValueOverrides = multiValueOverrides
    }
}
