/// Whether an item has one value of a field or a set of values.
public enum FieldKind: String, Sendable, Codable {
    /// Exactly one code per item (0 when unknown).
    case single
    /// Zero or more codes per item (for example a movie's genres). A model embeds such a field
    /// as the mean of its values' embeddings (zero vector for an empty set).
    case multi
}

/// How a field of an ``ItemTable`` relates to the catalogue column it was built from.
public enum FieldRole: String, Sendable, Codable {
    /// The column's values as they are (single-valued columns and the raw catalogue).
    case value
    /// A single-valued field holding a multi-valued column's *primary* value: the item's value
    /// that is most frequent in the catalogue (see ``MultiValuePolicy``).
    case primary
    /// A multi-valued field holding all of a multi-valued column's values.
    case set
}

/// One named categorical field of the item schema, with its vocabulary.
public struct ItemField: Sendable, Codable, Equatable {
    /// The field's name, unique within a table (`item_id`, `store_id`, `genre`, `genre_set`...).
    public let name: String
    /// One value or a set of values per item.
    public let kind: FieldKind
    /// How the field derives from its catalogue column.
    public let role: FieldRole
    /// The catalogue column this field is built from (equals ``name`` for ``FieldRole/value``):
    /// the key under which raw values of a new item are looked up by ``ItemTable/encode(key:values:)``.
    public let source: String
    /// The field's values and codes (0 = padding/unknown).
    public let vocabulary: Vocabulary

    /// Creates a field description.
    public init(name: String, kind: FieldKind, role: FieldRole = .value, source: String? = nil, vocabulary: Vocabulary)
    {
        self.name = name
        self.kind = kind
        self.role = role
        self.source = source ?? name
        self.vocabulary = vocabulary
    }
}

/// What to build from a multi-valued catalogue column (policy for multi-valued fields).
///
/// The **primary** value of an item is the one of its values that is most frequent among the
/// kept items (ties broken by first appearance in the item file), which is the same as the
/// smallest code, because prepared vocabularies are ordered by descending frequency. The rule
/// needs only the vocabulary, so a new item's primary value is found the same way.
public enum MultiValuePolicy: String, Sendable, Codable, CaseIterable {
    /// Two fields: `NAME` (single, primary value) and `NAME_set` (multi, all values, embedded as
    /// their mean). The default: the primary field gives a masked-field task one true class, the
    /// set keeps the rest of the information.
    case primaryAndSet
    /// One single-valued field `NAME` with the primary value.
    case primaryOnly
    /// One multi-valued field `NAME` with all values.
    case setOnly
}

/// The codes of one field for every item of a table, in item order.
///
/// Single-valued: `codes[i]` is item `i`'s code. Multi-valued: item `i`'s codes are
/// `codes[offsets[i] ..< offsets[i + 1]]` (compressed sparse rows; `offsets` has one more entry
/// than there are items).
public struct FieldColumn: Sendable, Equatable, Codable {
    /// One code per item, or the codes of every item one after another.
    public private(set) var codes: [Int32]
    /// Row starts for a multi-valued column; empty for a single-valued one.
    public private(set) var offsets: [Int32]
    /// Whether the column is single- or multi-valued.
    public let kind: FieldKind

    /// An empty column of the given kind.
    public init(kind: FieldKind) {
        self.kind = kind
        codes = []
        offsets = kind == .multi ? [0] : []
    }

    /// A single-valued column with `codes` (one per item).
    public init(singleCodes codes: [Int32]) {
        kind = .single
        self.codes = codes
        offsets = []
    }

    /// Number of items in the column.
    public var itemCount: Int { kind == .single ? codes.count : offsets.count - 1 }

    /// Item `item`'s codes: one element for a single-valued column (possibly 0), any number for
    /// a multi-valued one.
    public func codes(item: Int) -> ArraySlice<Int32> {
        switch kind {
        case .single: codes[item...item]
        case .multi: codes[Int(offsets[item])..<Int(offsets[item + 1])]
        }
    }

    /// Appends one item. A single-valued column takes the first code of `itemCodes` (0 if empty).
    public mutating func append<C: Collection>(_ itemCodes: C) where C.Element == Int32 {
        switch kind {
        case .single:
            codes.append(itemCodes.first ?? Vocabulary.unknown)
        case .multi:
            codes.append(contentsOf: itemCodes)
            offsets.append(Int32(codes.count))
        }
    }

    /// Reserves room for `items` more items.
    mutating func reserve(items: Int) {
        codes.reserveCapacity(codes.count + items)
        if kind == .multi { offsets.reserveCapacity(offsets.count + items) }
    }
}
