public import Data
public import Models

/// Bridges the Data module's prepared ``ItemTable`` to FAMAE's field list and catalogue codes.
///
/// Every field of the table becomes one FAMAE field (`item_id` first), with the table's
/// vocabulary size (which counts the reserved 0). Multi-valued fields (`*_set`) follow the
/// Data module's policy: the mean of the values' embeddings, the zero vector for no value.
public enum FAMAEItemTableAdapter {
    /// FAMAE field descriptions for `table`'s fields, in table order.
    public static func fields(of table: ItemTable) -> [FAMAEField] {
        table.fields.map {
            FAMAEField(name: $0.name, vocabularySize: $0.vocabulary.count, isMultiValued: $0.kind == .multi)
        }
    }

    /// Every item's codes, in item index order.
    public static func catalog(of table: ItemTable) -> FAMAEItemCodes {
        var codes = FAMAEItemCodes(fieldCount: table.fields.count)
        for item in 0..<table.count {
            codes.append((0..<table.fields.count).map { table.codes(field: $0, item: item) })
        }
        return codes
    }

    /// The codes of a (possibly new) item from its raw values keyed by catalogue column
    /// (``ItemTable/encode(key:values:)``: unknown values map to 0, i.e. "no value").
    public static func codes(of table: ItemTable, key: String, values: [String: [String]]) -> [[Int32]] {
        table.encode(key: key, values: values)
    }
}
