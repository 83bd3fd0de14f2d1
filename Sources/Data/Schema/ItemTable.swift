/// The item catalogue: item key (String) → dense internal index → per-field codes.
///
/// Field 0 is always the canonical ``itemIDField`` (`item_id`), single-valued, whose vocabulary
/// is the item keys in index order: item `i` has `item_id` code `i + 1` (0 stays reserved for
/// padding/unknown). The other fields are named categorical fields, single- or multi-valued.
///
/// A table comes in two forms:
/// - a **catalogue** as loaded: every column with ``FieldRole/value``, vocabularies in order of
///   first appearance, all items of the item file (and items seen only in interactions);
/// - a **prepared** table from ``prepared(keeping:policy:overrides:)``: only the kept items,
///   vocabularies holding only values those items use and ordered by descending frequency, and
///   multi-valued columns expanded by a ``MultiValuePolicy``. Models train on this form.
///
/// `Codable` (for model bundles): the encoding holds the keys and the non-`item_id` fields and
/// columns; decoding re-validates them through ``init(keys:fields:columns:)``.
public struct ItemTable: Sendable, Codable {
    /// The name of the canonical item identity field, always field 0.
    public static let itemIDField = "item_id"

    /// Field descriptions; `fields[0]` is `item_id`.
    public private(set) var fields: [ItemField]
    /// Item keys by dense index.
    public private(set) var keys: [String]
    private var columns: [FieldColumn]
    private var indexByKey: [String: Int32]

    /// Builds a table from item keys and the non-`item_id` fields with their columns.
    /// - Throws: ``DataError/Code/invalidArgument`` when keys repeat, a field is named `item_id`,
    ///   names repeat, or a column's item count or codes do not fit.
    public init(keys: [String], fields: [ItemField], columns: [FieldColumn]) throws {
        guard fields.count == columns.count else {
            throw DataError(.invalidArgument, "\(fields.count) fields but \(columns.count) columns")
        }
        var indexByKey: [String: Int32] = [:]
        indexByKey.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            guard !key.isEmpty else {
                throw DataError(.invalidArgument, "item \(index) has an empty key", field: Self.itemIDField)
            }
            guard indexByKey.updateValue(Int32(index), forKey: key) == nil else {
                throw DataError(.invalidArgument, "item key '\(key)' appears twice", field: Self.itemIDField)
            }
        }
        var names: Set<String> = [Self.itemIDField]
        for (field, column) in zip(fields, columns) {
            guard names.insert(field.name).inserted else {
                throw DataError(.invalidArgument, "field name used twice (or reserved)", field: field.name)
            }
            guard field.kind == column.kind, column.itemCount == keys.count else {
                throw DataError(
                    .invalidArgument, "column kind or item count does not match the field", field: field.name)
            }
            let limit = Int32(field.vocabulary.count)
            guard column.codes.allSatisfy({ $0 >= 0 && $0 < limit }) else {
                throw DataError(.invalidArgument, "a code is outside the vocabulary", field: field.name)
            }
        }
        let idField = ItemField(name: Self.itemIDField, kind: .single, vocabulary: Vocabulary(keys))
        let idColumn = FieldColumn(singleCodes: (0..<keys.count).map { Int32($0 + 1) })
        self.keys = keys
        self.indexByKey = indexByKey
        self.fields = [idField] + fields
        self.columns = [idColumn] + columns
    }

    /// Number of items.
    public var count: Int { keys.count }

    private enum CodingKeys: String, CodingKey { case keys, fields, columns }

    /// Writes the keys and every field but `item_id` (which the keys imply).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keys, forKey: .keys)
        try container.encode(Array(fields.dropFirst()), forKey: .fields)
        try container.encode(Array(columns.dropFirst()), forKey: .columns)
    }

    /// Reads a table written by ``encode(to:)``, checking it as ``init(keys:fields:columns:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            keys: container.decode([String].self, forKey: .keys),
            fields: container.decode([ItemField].self, forKey: .fields),
            columns: container.decode([FieldColumn].self, forKey: .columns))
    }

    /// The dense index of the item with this key, or `nil`.
    public func index(ofKey key: String) -> Int? {
        indexByKey[key].map(Int.init)
    }

    /// The position of the field named `name` in ``fields``, or `nil`.
    public func fieldIndex(named name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }

    /// The codes of field `field` for every item.
    public func column(_ field: Int) -> FieldColumn { columns[field] }

    /// Item `item`'s code in single-valued field `field` (for a multi-valued field: its first code, or 0).
    public func code(field: Int, item: Int) -> Int32 {
        columns[field].codes(item: item).first ?? Vocabulary.unknown
    }

    /// Item `item`'s codes in field `field` (one element for a single-valued field).
    public func codes(field: Int, item: Int) -> ArraySlice<Int32> {
        columns[field].codes(item: item)
    }

    /// Item `item`'s value strings per field name (unknown values left out), for inspection and export.
    public func values(item: Int) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (field, column) in zip(fields, columns) {
            result[field.name] = column.codes(item: item).compactMap { field.vocabulary.value(of: $0) }
        }
        return result
    }

    /// Maps a (possibly new) item's raw values to codes of every field, for cold-start use.
    ///
    /// `values` is keyed by catalogue column name (``ItemField/source``). Values the vocabulary
    /// does not hold map to 0 (unknown); a missing column gives 0 / the empty set. The `item_id`
    /// code is the key's code if the item is in the table and 0 otherwise. Primary fields take the
    /// known value with the smallest code (the catalogue's most frequent), as when the table was
    /// prepared.
    /// - Returns: one array of codes per field, in ``fields`` order (one element for single-valued fields).
    public func encode(key: String, values: [String: [String]]) -> [[Int32]] {
        fields.enumerated().map { position, field in
            if position == 0 { return [index(ofKey: key).map { Int32($0 + 1) } ?? Vocabulary.unknown] }
            let known = (values[field.source] ?? []).map { field.vocabulary.code(of: $0) }.filter {
                $0 != Vocabulary.unknown
            }
            switch (field.kind, field.role) {
            case (.multi, _): return Self.uniqueInOrder(known)
            case (.single, .primary): return [known.min() ?? Vocabulary.unknown]
            case (.single, _): return [known.first ?? Vocabulary.unknown]
            }
        }
    }

    /// Which catalogue columns of a (possibly new) item's raw values the vocabularies can use.
    ///
    /// Looks at every column a field is built from (``ItemField/source``; `item_id` aside). A
    /// column is *known* when at least one of its values is in the vocabulary of a field built
    /// from it, *unknown* when it is given with values but none is (a category the table never
    /// saw: ``encode(key:values:)`` encodes it as unknown), and neither when it is absent or
    /// empty. Keys of `values` that are no column of the table are *foreign*: `encode` ignores them.
    /// - Returns: the known, unknown and foreign column names, each sorted.
    public func columnKnowledge(
        of values: [String: [String]]
    ) -> (known: [String], unknown: [String], foreign: [String]) {
        var known: Set<String> = []
        var given: Set<String> = []
        var columns: Set<String> = []
        for field in fields.dropFirst() {
            columns.insert(field.source)
            guard let raw = values[field.source], raw.contains(where: { !$0.isEmpty }) else { continue }
            given.insert(field.source)
            if raw.contains(where: { field.vocabulary.code(of: $0) != Vocabulary.unknown }) {
                known.insert(field.source)
            }
        }
        let foreign = values.keys.filter { !columns.contains($0) && $0 != Self.itemIDField }
        return (known.sorted(), given.subtracting(known).sorted(), foreign.sorted())
    }

    /// A prepared table over the items `kept` (dense indices of this catalogue, in the order the
    /// new table should use), with compact, frequency-ordered vocabularies and multi-valued
    /// columns expanded.
    ///
    /// Vocabulary order: descending number of kept items that hold the value, ties broken by the
    /// catalogue's order of first appearance. Values no kept item uses are dropped. Codes of a
    /// multi-valued item are de-duplicated, in their original order.
    /// - Parameters:
    ///   - kept: the items to keep, each at most once.
    ///   - policy: the policy for multi-valued columns without an override.
    ///   - overrides: per-column policies by column name.
    /// - Throws: ``DataError/Code/invalidArgument`` if this table is already prepared or `kept`
    ///   repeats or leaves the range.
    public func prepared(
        keeping kept: [Int], policy: MultiValuePolicy = .primaryAndSet, overrides: [String: MultiValuePolicy] = [:]
    ) throws -> ItemTable {
        guard fields.allSatisfy({ $0.role == .value }) else {
            throw DataError(.invalidArgument, "prepared(keeping:) needs a catalogue table, not an already prepared one")
        }
        var seen = [Bool](repeating: false, count: count)
        for item in kept {
            guard item >= 0, item < count, !seen[item] else {
                throw DataError(.invalidArgument, "kept item \(item) is out of range or repeated")
            }
            seen[item] = true
        }
        var newFields: [ItemField] = []
        var newColumns: [FieldColumn] = []
        for position in 1..<fields.count {
            let field = fields[position]
            let column = columns[position]
            let (vocabulary, recode) = Self.frequencyOrdered(field.vocabulary, column: column, kept: kept)
            if field.kind == .single {
                // One code per item: recode directly (the common case, and the large one).
                newFields.append(ItemField(name: field.name, kind: .single, vocabulary: vocabulary))
                newColumns.append(FieldColumn(singleCodes: kept.map { recode[Int(column.codes[$0])] }))
                continue
            }
            let rows = kept.map { item in
                Self.uniqueInOrder(column.codes(item: item).map { recode[Int($0)] }.filter { $0 != 0 })
            }
            let fieldPolicy = overrides[field.name] ?? policy
            if fieldPolicy == .primaryOnly || fieldPolicy == .primaryAndSet {
                newFields.append(
                    ItemField(
                        name: field.name, kind: .single, role: .primary, source: field.name, vocabulary: vocabulary))
                newColumns.append(FieldColumn(singleCodes: rows.map { $0.min() ?? Vocabulary.unknown }))
            }
            if fieldPolicy == .setOnly || fieldPolicy == .primaryAndSet {
                let name = fieldPolicy == .setOnly ? field.name : field.name + "_set"
                var setColumn = FieldColumn(kind: .multi)
                setColumn.reserve(items: rows.count)
                for row in rows { setColumn.append(row) }
                newFields.append(
                    ItemField(name: name, kind: .multi, role: .set, source: field.name, vocabulary: vocabulary))
                newColumns.append(setColumn)
            }
        }
        return try ItemTable(keys: kept.map { keys[$0] }, fields: newFields, columns: newColumns)
    }

    /// The values of `vocabulary` used by the `kept` items, by descending use count (ties: old
    /// code order), and the old-code → new-code map (0 for dropped values).
    private static func frequencyOrdered(
        _ vocabulary: Vocabulary, column: FieldColumn, kept: [Int]
    ) -> (Vocabulary, [Int32]) {
        var counts = [Int](repeating: 0, count: vocabulary.count)
        if column.kind == .single {
            for item in kept { counts[Int(column.codes[item])] += 1 }
        } else {
            for item in kept {
                for code in uniqueInOrder(Array(column.codes(item: item))) { counts[Int(code)] += 1 }
            }
        }
        counts[0] = 0
        let order = (1..<max(1, vocabulary.count)).filter { counts[$0] > 0 }.sorted { a, b in
            counts[a] != counts[b] ? counts[a] > counts[b] : a < b
        }
        var recode = [Int32](repeating: 0, count: vocabulary.count)
        for (newIndex, old) in order.enumerated() { recode[old] = Int32(newIndex + 1) }
        let values = order.compactMap { vocabulary.value(of: Int32($0)) }
        return (Vocabulary(values), recode)
    }

    private static func uniqueInOrder(_ codes: [Int32]) -> [Int32] {
        if codes.count < 2 { return codes }
        var result: [Int32] = []
        result.reserveCapacity(codes.count)
        for code in codes where !result.contains(code) { result.append(code) }
        return result
    }
}
