/// The field codes of a list of items, field by field, as compressed rows.
///
/// Item `i`'s codes in field `f` are `codes[f][offsets[f][i] ..< offsets[f][i + 1]]`. Code 0
/// (padding/unknown) is never stored: an item without a known value has an empty row, which
/// embeds as the zero vector. A single-valued field keeps at most one code per item.
public struct FAMAEItemCodes: Sendable, Equatable {
    /// Number of fields.
    public let fieldCount: Int
    /// Row starts per field (`count + 1` entries each).
    public private(set) var offsets: [[Int]]
    /// Non-zero codes per field, item after item.
    public private(set) var codes: [[Int32]]

    /// An empty list for `fieldCount` fields.
    public init(fieldCount: Int) {
        self.fieldCount = fieldCount
        offsets = Array(repeating: [0], count: fieldCount)
        codes = Array(repeating: [], count: fieldCount)
    }

    /// Number of items.
    public var count: Int { offsets.first.map { $0.count - 1 } ?? 0 }

    /// Item `item`'s codes in field `field` (empty when unknown).
    public func codes(field: Int, item: Int) -> ArraySlice<Int32> {
        codes[field][offsets[field][item]..<offsets[field][item + 1]]
    }

    /// Appends one item given its codes per field (zeros are dropped).
    /// - Precondition: `itemCodes.count == fieldCount` (callers validate user input first).
    public mutating func append<C: Collection>(_ itemCodes: [C]) where C.Element == Int32 {
        precondition(
            itemCodes.count == fieldCount, "FAMAEItemCodes.append: \(itemCodes.count) fields for \(fieldCount)")
        for field in 0..<fieldCount {
            for code in itemCodes[field] where code != 0 { codes[field].append(code) }
            offsets[field].append(codes[field].count)
        }
    }

    /// Appends item `item` of `other`.
    public mutating func append(item: Int, of other: FAMAEItemCodes) {
        append((0..<fieldCount).map { other.codes(field: $0, item: item) })
    }

    /// Checks every code against the configuration's vocabularies.
    /// - Throws: ``FAMAEError/Code/invalidInput`` naming the field.
    public func validate(against configuration: FAMAEConfiguration) throws {
        guard fieldCount == configuration.fieldCount else {
            throw FAMAEError(
                .invalidInput, "item codes have \(fieldCount) fields, the model has \(configuration.fieldCount)")
        }
        for (field, description) in configuration.fields.enumerated() {
            let limit = Int32(description.vocabularySize)
            guard codes[field].allSatisfy({ $0 > 0 && $0 < limit }) else {
                throw FAMAEError(.invalidInput, "field \(description.name): a code is outside 1..<\(limit)")
            }
            if !description.isMultiValued {
                for item in 0..<count where offsets[field][item + 1] - offsets[field][item] > 1 {
                    throw FAMAEError(
                        .invalidInput,
                        "field \(description.name): item \(item) has several values in a single-valued field")
                }
            }
        }
    }
}
