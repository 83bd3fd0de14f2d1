/// Collects a catalogue item by item, interning raw value strings, and builds an ``ItemTable``.
///
/// Loaders declare the catalogue columns first (not `item_id`, which the key provides), then add
/// items. Vocabularies get codes in order of first appearance.
public struct ItemTableBuilder: Sendable {
    /// A catalogue column: its name and whether items hold one value or several.
    public struct Column: Sendable, Equatable {
        /// The column name, which becomes the field name.
        public let name: String
        /// Single- or multi-valued.
        public let kind: FieldKind
        /// Creates a column description.
        public init(name: String, kind: FieldKind) {
            self.name = name
            self.kind = kind
        }
    }

    /// The declared columns, in order.
    public let columnSpecs: [Column]
    private var keys: [String] = []
    private var indexByKey: [String: Int32] = [:]
    private var vocabularies: [Vocabulary]
    private var columns: [FieldColumn]

    /// A builder for the given catalogue columns.
    public init(columns: [Column]) {
        columnSpecs = columns
        vocabularies = columns.map { _ in Vocabulary() }
        self.columns = columns.map { FieldColumn(kind: $0.kind) }
    }

    /// Number of items added so far.
    public var count: Int { keys.count }

    /// The index of an item already added, or `nil`.
    public func index(ofKey key: String) -> Int? { indexByKey[key].map(Int.init) }

    /// Adds an item with its raw values, one list per declared column (missing trailing lists
    /// and empty strings mean unknown). A single-valued column uses the first value of its list.
    /// - Returns: the new item's index, or `nil` if an item with this key exists (nothing changes).
    @discardableResult
    public mutating func add(key: String, values: [[String]]) -> Int? {
        guard indexByKey[key] == nil else { return nil }
        let index = keys.count
        keys.append(key)
        indexByKey[key] = Int32(index)
        for position in columns.indices {
            let raw = position < values.count ? values[position] : []
            let items = columnSpecs[position].kind == .single ? Array(raw.prefix(1)) : raw
            let codes = items.map { vocabularies[position].insert($0) }.filter { $0 != Vocabulary.unknown }
            columns[position].append(codes)
        }
        return index
    }

    /// The index of the item with `key`, adding it with all fields unknown if it is new (for
    /// items that appear in interactions but not in the item file).
    public mutating func indexAddingIfNeeded(key: String) -> Int {
        if let existing = indexByKey[key] { return Int(existing) }
        return add(key: key, values: []) ?? keys.count - 1
    }

    /// The catalogue table.
    /// - Throws: ``DataError/Code/invalidArgument`` if a column is named `item_id` or names repeat.
    public func build() throws -> ItemTable {
        let fields = zip(columnSpecs, vocabularies).map { spec, vocabulary in
            ItemField(name: spec.name, kind: spec.kind, vocabulary: vocabulary)
        }
        return try ItemTable(keys: keys, fields: fields, columns: columns)
    }
}
