public import Data
public import Models
public import Tensor
public import Tokenizer

/// The online item path as one library call: raw field values of new items →
/// FAMAE cold-start vectors → SIDs claimed against a frozen GAOQ codebook.
///
/// Raw values are keyed by catalogue column (as in item events); they are mapped to codes with
/// the bundle's frozen vocabularies (``ItemTable/encode(key:values:)``: a value the vocabulary
/// does not hold counts as unknown and its field is predicted, see ``FAMAEColdStartEncoder``).
/// Vectors are encoded in one micro-batch; SIDs are claimed in input order through the given
/// ``Level3Claimer`` (in-process, or the Redis-backed one shared by daemon instances), so an
/// item that already has an SID keeps it and no two items ever share one.
public struct ColdStartTokenizer: Sendable {
    /// A new item: its key and raw values per catalogue column.
    public struct Item: Sendable {
        public var key: String
        public var values: [String: [String]]
        public init(key: String, values: [String: [String]]) {
            self.key = key
            self.values = values
        }
    }

    /// What the bundle's vocabularies make of one new item's raw values.
    public struct FieldReport: Sendable, Equatable {
        /// Catalogue columns with at least one value the vocabularies hold: these place the item.
        public var known: [String]
        /// Columns given only with values the vocabularies never saw: encoded as unknown, so
        /// FAMAE predicts their part of the vector from the known ones.
        public var unknown: [String]
        /// Fields of the event that are no column of the bundle's schema: ignored.
        public var foreign: [String]

        /// Creates a report.
        public init(known: [String], unknown: [String], foreign: [String] = []) {
            self.known = known
            self.unknown = unknown
            self.foreign = foreign
        }

        /// True when some column places the item. Without one, every new item would get the
        /// same vector (the model's prediction from nothing) and pile up in one group, so such
        /// an item gets no SID.
        public var isUsable: Bool { !known.isEmpty }

        /// Why the item cannot be placed (nil when it can).
        public var rejection: String? {
            guard !isUsable else { return nil }
            var parts: [String] = []
            if !unknown.isEmpty {
                parts.append("only values the bundle never saw in " + unknown.joined(separator: ", "))
            }
            if !foreign.isEmpty { parts.append("fields the bundle does not have: " + foreign.joined(separator: ", ")) }
            if parts.isEmpty { parts.append("no field value was given") }
            return "no usable field (\(parts.joined(separator: "; "))); a SID from no known field would be arbitrary"
        }
    }

    /// The frozen item table (vocabularies and trained items).
    public let table: ItemTable
    /// The vector encoder.
    public let encoder: FAMAEColdStartEncoder
    /// The frozen-codebook assigner.
    public let assigner: OnlineAssigner

    /// A tokenizer over a trained model, its item table and a fitted codebook.
    /// - Throws: ``FAMAEError/Code/invalidInput`` if the table's fields do not match the model
    ///   or the codebook's dimension is not the model's item-vector width.
    public init(table: ItemTable, encoder: FAMAEColdStartEncoder, codebook: GAOQCodebook) throws {
        guard FAMAEItemTableAdapter.fields(of: table) == encoder.model.configuration.fields else {
            throw FAMAEError(.invalidInput, "cold start: the item table's fields do not match the FAMAE model's")
        }
        guard codebook.dimension == encoder.model.configuration.itemVectorWidth else {
            throw FAMAEError(
                .invalidInput,
                "cold start: codebook dimension \(codebook.dimension) is not the FAMAE item-vector width \(encoder.model.configuration.itemVectorWidth)"
            )
        }
        self.table = table
        self.encoder = encoder
        self.assigner = OnlineAssigner(codebook: codebook)
    }

    /// Which of `item`'s columns the bundle knows and which hold only unknown values.
    public func fieldReport(_ item: Item) -> FieldReport {
        let knowledge = table.columnKnowledge(of: item.values)
        return FieldReport(known: knowledge.known, unknown: knowledge.unknown, foreign: knowledge.foreign)
    }

    /// The cold-start vectors of `items`, `[items.count, J · dimension]`.
    /// - Throws: ``FAMAEError`` for malformed input, and for a new item without a usable field
    ///   (``FieldReport/isUsable``); a catalogue item (known key) needs none.
    public func vectors(_ items: [Item]) throws -> Tensor {
        var codes = FAMAEItemCodes(fieldCount: table.fields.count)
        for item in items {
            guard !item.key.isEmpty else {
                throw FAMAEError(.invalidInput, "cold start: item_id is empty; give every item a key")
            }
            if table.index(ofKey: item.key) == nil, let rejection = fieldReport(item).rejection {
                throw FAMAEError(.invalidInput, "cold start: item '\(item.key)': \(rejection)")
            }
            codes.append(FAMAEItemTableAdapter.codes(of: table, key: item.key, values: item.values))
        }
        return try encoder.encode(codes)
    }

    /// Encodes `items` and claims their SIDs in input order.
    /// - Throws: ``FAMAEError`` for malformed input; ``TokenizerError`` or the claimer's errors.
    public func assign(_ items: [Item], claimer: some Level3Claimer) async throws -> [SemanticID] {
        guard !items.isEmpty else { return [] }
        return try await assigner.assign(items: items.map(\.key), vectors: vectors(items), claimer: claimer)
    }
}
