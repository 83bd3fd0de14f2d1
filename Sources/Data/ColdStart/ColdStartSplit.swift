/// A time-based split for evaluating new-item cold start.
///
/// The cut-off time is chosen so that the items first seen after it, the **new** items, are
/// `newItemShare` of the catalogue (MovieLens items mostly appear early, so a cut-off by share
/// of events would leave only a handful of new items). Nothing about a new item (no interaction, no field value only they hold)
/// reaches training. Models train on the events up to the cut-off, over the **warm** items
/// only, with vocabularies built from warm items alone, so a value only new items have is
/// unknown to them, as it would be to a bundle in production. Afterwards every event after the
/// cut-off is a prediction to make from the user's earlier events (new items included, once
/// seen), and the new items enter only through their raw field values.
///
/// Evaluation indices: warm items `0 ..< warmCount` (in the prepared table's order), then new
/// items `warmCount ..< warmCount + newCount` in order of first appearance, the order in which
/// item events would have announced them.
public struct ColdStartSplit: Sendable {
    /// A new item: its key and raw catalogue values by column (what an item event carries).
    public struct NewItem: Sendable {
        public let key: String
        public let values: [String: [String]]
        /// The time of its first event.
        public let firstSeen: Double
    }

    /// Events with a timestamp above this are held out.
    public let cutoff: Double
    /// The warm items, prepared from the catalogue with vocabularies of warm items only.
    public let warmItems: ItemTable
    /// Events up to the cut-off (warm items only by construction), leave-one-out: the models'
    /// training windows and the validation targets their early stopping uses.
    public let warmSplit: LeaveOneOutSplit
    /// New items in order of first appearance.
    public let newItems: [NewItem]
    /// Every event of every user in evaluation indices, time-ordered.
    public let sequences: UserSequences
    /// Events after the cut-off that have at least one earlier event of the same user: the
    /// predictions to make (target at `position`, history the events before it).
    public let heldOut: [SampleReference]

    /// Number of warm items.
    public var warmCount: Int { warmItems.count }
    /// Whether an evaluation index is a new item.
    public func isNew(_ item: Int32) -> Bool { Int(item) >= warmItems.count }

    /// The target of a held-out event.
    public func target(_ sample: SampleReference) -> Int32 {
        sequences.items[sequences.offsets[Int(sample.user)] + Int(sample.position)]
    }

    /// The time of a held-out event.
    public func timestamp(_ sample: SampleReference) -> Double {
        sequences.timestamps[sequences.offsets[Int(sample.user)] + Int(sample.position)]
    }

    /// The last `limit` events before a held-out event, oldest first.
    public func history(_ sample: SampleReference, limit: Int) -> ArraySlice<Int32> {
        let start = sequences.offsets[Int(sample.user)]
        let end = start + Int(sample.position)
        return sequences.items[max(start, end - limit)..<end]
    }

    /// Splits a prepared dataset.
    /// - Parameters:
    ///   - dataset: the dataset as loaded (its catalogue rebuilds the warm vocabularies).
    ///   - prepared: the same dataset after ``Preprocessor`` (k-core, time order).
    ///   - newItemShare: the share of items first seen after the cut-off, in `(0, 1)`.
    ///   - policy: the multi-valued column policy the preprocessor used.
    /// - Throws: ``DataError/Code/invalidArgument`` when the share is out of range or the split
    ///   leaves no warm or no new item.
    public init(
        dataset: Dataset, prepared: PreparedDataset, newItemShare: Double, policy: MultiValuePolicy = .primaryAndSet
    ) throws {
        guard newItemShare > 0, newItemShare < 1 else {
            throw DataError(.invalidArgument, "new-item share \(newItemShare) must be between 0 and 1")
        }
        let full = prepared.sequences
        var firstSeen = [Double](repeating: .infinity, count: prepared.items.count)
        for (item, time) in zip(full.items, full.timestamps) { firstSeen[Int(item)] = min(firstSeen[Int(item)], time) }
        let times = firstSeen.filter { $0 < .infinity }.sorted()
        guard !times.isEmpty else { throw DataError(.invalidArgument, "the dataset has no events") }
        let cutoff = times[max(0, Int((1 - newItemShare) * Double(times.count)) - 1)]
        self.cutoff = cutoff
        let warm = (0..<prepared.items.count).filter { firstSeen[$0] <= cutoff }
        let new = (0..<prepared.items.count).filter { firstSeen[$0] > cutoff && firstSeen[$0] < .infinity }
            .sorted { firstSeen[$0] != firstSeen[$1] ? firstSeen[$0] < firstSeen[$1] : $0 < $1 }
        guard !warm.isEmpty, !new.isEmpty else {
            throw DataError(
                .invalidArgument,
                "a cut-off at \(cutoff) leaves \(warm.count) warm and \(new.count) new items; choose another held-out share"
            )
        }
        var evaluationIndex = [Int32](repeating: -1, count: prepared.items.count)
        for (index, item) in (warm + new).enumerated() { evaluationIndex[item] = Int32(index) }

        let raw = try warm.map { item in
            guard let index = dataset.catalog.index(ofKey: prepared.items.keys[item]) else {
                throw DataError(
                    .invalidArgument, "prepared item '\(prepared.items.keys[item])' is not in the catalogue")
            }
            return index
        }
        warmItems = try dataset.catalog.prepared(keeping: raw, policy: policy, overrides: dataset.multiValueOverrides)
        newItems = new.map { item in
            let key = prepared.items.keys[item]
            let values = dataset.catalog.index(ofKey: key).map { dataset.catalog.values(item: $0) } ?? [:]
            return NewItem(
                key: key, values: values.filter { $0.key != ItemTable.itemIDField }, firstSeen: firstSeen[item])
        }

        // Both logs keep each user's time order: events are appended in it, with their position
        // as the source order for ties.
        var all = InteractionLog()
        var early = InteractionLog()
        all.internUsers(prepared.userKeys)
        early.internUsers(prepared.userKeys)
        var held: [SampleReference] = []
        for user in 0..<full.userCount {
            for position in 0..<full.length(user) {
                let event = full.offsets[user] + position
                let item = Int(evaluationIndex[Int(full.items[event])])
                let time = full.timestamps[event]
                all.append(userIndex: user, item: item, timestamp: time, sourceOrder: Int64(event))
                if time <= cutoff {
                    early.append(userIndex: user, item: item, timestamp: time, sourceOrder: Int64(event))
                } else if position > 0 {
                    held.append(SampleReference(user: Int32(user), position: Int32(position)))
                }
            }
        }
        sequences = UserSequences(log: all)
        warmSplit = LeaveOneOutSplit(sequences: UserSequences(log: early), historyLimit: prepared.split.historyLimit)
        heldOut = held
    }
}
