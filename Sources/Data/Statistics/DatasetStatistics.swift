/// Figures describing a dataset before and after preprocessing, for `resid data stats`.
public struct DatasetStatistics: Sendable, Codable {
    /// Counts of one stage.
    public struct Counts: Sendable, Codable {
        /// Distinct users with at least one event.
        public var users: Int
        /// Distinct items with at least one event.
        public var items: Int
        /// Events.
        public var events: Int
        /// Events whose timestamp equals the previous event of the same user (after the stable
        /// time sort): how often the source-order tie rule decides the order.
        public var timeTies: Int
        /// events / users.
        public var averageEventsPerUser: Double
    }

    /// One field of the prepared item table.
    public struct Field: Sendable, Codable {
        /// Field name.
        public var name: String
        /// `single` or `multi`.
        public var kind: FieldKind
        /// `value`, `primary` or `set`.
        public var role: FieldRole
        /// Number of real values (the embedding table needs one more row for code 0).
        public var vocabularySize: Int
        /// Kept items with at least one known value.
        public var itemsWithValue: Int
    }

    /// Quantiles of a length distribution.
    public struct Distribution: Sendable, Codable {
        public var min: Int, p10: Int, p25: Int, median: Int, p75: Int, p90: Int, p99: Int, max: Int
        public var mean: Double

        /// The quantiles of `values` (nearest rank); all zero for an empty list.
        public init(_ values: [Int]) {
            let sorted = values.sorted()
            func rank(_ q: Double) -> Int {
                sorted.isEmpty
                    ? 0
                    : sorted[
                        Swift.min(sorted.count - 1, Swift.max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
            }
            min = sorted.first ?? 0
            max = sorted.last ?? 0
            p10 = rank(0.10); p25 = rank(0.25); median = rank(0.5); p75 = rank(0.75); p90 = rank(0.9); p99 = rank(0.99)
            mean = sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count)
        }
    }

    /// The protocol's sample counts.
    public struct Samples: Sendable, Codable {
        /// Longest history kept.
        public var historyLimit: Int
        /// Sliding-window training samples (all of them, before any sampling rule).
        public var trainingWindows: Int
        /// Training windows whose history was cut to the limit.
        public var truncatedTrainingWindows: Int
        /// Validation samples (one per user).
        public var validation: Int
        /// Test samples (one per user).
        public var test: Int
    }

    /// Dataset name.
    public var dataset: String
    /// True for generated data: its numbers describe no real users.
    public var synthetic: Bool
    /// Items in the catalogue as loaded (item file plus items seen only in interactions).
    public var catalogItems: Int
    /// Catalogue columns as loaded: name → number of distinct values.
    public var catalogVocabularies: [String: Int]
    /// The events as loaded.
    public var raw: Counts
    /// After the k-core filter.
    public var filtered: Counts
    /// The k of the k-core filter.
    public var k: Int
    /// Passes the filter needed to reach its fixed point.
    public var kCorePasses: Int
    /// The prepared item table's fields.
    public var fields: [Field]
    /// Events per user after filtering (the full sequence length).
    public var sequenceLength: Distribution
    /// History length of each training window after cutting to the limit.
    public var trainingHistoryLength: Distribution
    /// Sample counts.
    public var samples: Samples

    /// Computes the figures of `dataset` and its preparation `prepared` (with k-core `k`).
    public init(dataset: Dataset, prepared: PreparedDataset, k: Int) {
        self.dataset = dataset.name
        synthetic = dataset.isSynthetic
        catalogItems = dataset.catalog.count
        var vocabularies: [String: Int] = [:]
        for field in dataset.catalog.fields { vocabularies[field.name] = field.vocabulary.valueCount }
        catalogVocabularies = vocabularies
        let rawSequences = UserSequences(log: dataset.interactions)
        raw = Self.counts(rawSequences)
        filtered = Self.counts(prepared.sequences)
        self.k = k
        kCorePasses = prepared.kCorePasses
        let table = prepared.items
        fields = table.fields.enumerated().map { index, field in
            let column = table.column(index)
            let withValue = (0..<table.count).filter { column.codes(item: $0).contains { $0 != Vocabulary.unknown } }
                .count
            return Field(
                name: field.name, kind: field.kind, role: field.role, vocabularySize: field.vocabulary.valueCount,
                itemsWithValue: withValue)
        }
        let sequences = prepared.sequences
        sequenceLength = Distribution((0..<sequences.userCount).map(sequences.length))
        let split = prepared.split
        let windows = split.allTrainingWindows
        let historyLengths = windows.map { split.history($0).count }
        trainingHistoryLength = Distribution(historyLengths)
        samples = Samples(
            historyLimit: split.historyLimit, trainingWindows: windows.count,
            truncatedTrainingWindows: windows.filter { Int($0.position) > split.historyLimit }.count,
            validation: split.validationSamples.count, test: split.testSamples.count)
    }

    private static func counts(_ sequences: UserSequences) -> Counts {
        let users = (0..<sequences.userCount).filter { sequences.length($0) > 0 }.count
        let items = Set(sequences.items).count
        return Counts(
            users: users, items: items, events: sequences.eventCount, timeTies: sequences.timeTies,
            averageEventsPerUser: users == 0 ? 0 : Double(sequences.eventCount) / Double(users))
    }
}
