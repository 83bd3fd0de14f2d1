/// Turns a loaded ``Dataset`` into a ``PreparedDataset`` with the paper's data protocol:
///
/// 1. k-core filter (k = 5) until a fixed point (``KCoreFilter``);
/// 2. the item table restricted to the remaining items, in catalogue order, with compact
///    frequency-ordered vocabularies and multi-valued columns expanded
///    (``ItemTable/prepared(keeping:policy:overrides:)``);
/// 3. each user's events sorted by (timestamp, source order) (``UserSequences``);
/// 4. the leave-one-out split with sliding-window training samples, histories cut to 32
///    (``LeaveOneOutSplit``).
public struct Preprocessor: Sendable {
    /// The k of the k-core filter.
    public var minimumEvents: Int
    /// The longest history a sample keeps.
    public var historyLimit: Int
    /// The policy for multi-valued columns the dataset has no override for.
    public var multiValuePolicy: MultiValuePolicy

    /// The paper's settings by default: 5-core, histories of 32, primary + set fields.
    public init(minimumEvents: Int = 5, historyLimit: Int = 32, multiValuePolicy: MultiValuePolicy = .primaryAndSet) {
        self.minimumEvents = minimumEvents
        self.historyLimit = historyLimit
        self.multiValuePolicy = multiValuePolicy
    }

    /// Applies the protocol.
    /// - Throws: ``DataError/Code/invalidArgument`` if the settings are out of range or the
    ///   dataset's catalogue is not in catalogue form.
    public func prepare(_ dataset: Dataset) throws -> PreparedDataset {
        guard minimumEvents >= 1, historyLimit >= 1 else {
            throw DataError(.invalidArgument, "minimum events and history limit must be at least 1")
        }
        let filtered = KCoreFilter(k: minimumEvents).apply(dataset.interactions, itemCount: dataset.catalog.count)
        let items = try dataset.catalog.prepared(
            keeping: filtered.keptItems, policy: multiValuePolicy, overrides: dataset.multiValueOverrides)
        var newIndex = [Int32](repeating: -1, count: dataset.catalog.count)
        for (index, item) in filtered.keptItems.enumerated() { newIndex[item] = Int32(index) }
        let sequences = UserSequences(log: filtered.log, itemIndex: newIndex)
        return PreparedDataset(
            name: dataset.name, isSynthetic: dataset.isSynthetic, items: items, userKeys: filtered.log.userKeys,
            split: LeaveOneOutSplit(sequences: sequences, historyLimit: historyLimit), kCorePasses: filtered.passes)
    }
}

/// A dataset ready for training and evaluation: the kept items, each user's time-ordered
/// sequence, and the leave-one-out split. Item indices everywhere are indices of ``items``.
public struct PreparedDataset: Sendable {
    /// The dataset name (`synthetic-...` for generated data).
    public let name: String
    /// True for generated data; reports must say so.
    public let isSynthetic: Bool
    /// The prepared item table (see ``ItemTable``): item `i` has `item_id` code `i + 1`.
    public let items: ItemTable
    /// User keys by user index.
    public let userKeys: [String]
    /// The split; ``LeaveOneOutSplit/sequences`` holds every user's sorted events.
    public let split: LeaveOneOutSplit
    /// Passes the k-core filter needed to reach its fixed point.
    public let kCorePasses: Int

    /// Every user's events in time order.
    public var sequences: UserSequences { split.sequences }
}
