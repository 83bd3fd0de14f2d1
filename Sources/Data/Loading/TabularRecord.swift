import Foundation

/// One record of a CSV or JSON Lines file: column → values, remembering which columns were
/// written as lists (JSON arrays, or CSV columns declared multi-valued).
struct TabularRecord {
    var values: [String: [String]] = [:]
    var listColumns: Set<String> = []

    subscript(column: String) -> [String]? { values[column] }

    /// Parses one JSON Lines record: strings and numbers become one value, arrays several,
    /// `null` none; nested objects are rejected.
    /// - Throws: ``DataError/Code/malformedRow`` for invalid JSON or a non-object line,
    ///   ``DataError/Code/badValue`` naming the key for an unsupported value.
    static func parseJSON(_ bytes: ArraySlice<UInt8>, file: String, line: Int) throws -> TabularRecord {
        let object: [String: JSONScalarOrList]
        do {
            object = try JSONDecoder().decode([String: JSONScalarOrList].self, from: Foundation.Data(bytes))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, let key = context.codingPath.first?.stringValue {
                throw DataError(
                    .badValue, "unsupported value (use a string, a number, null or an array of those)",
                    file: file, line: line, field: key)
            }
            throw DataError(
                .malformedRow, "not a valid JSON object (each line must be one JSON object)", file: file, line: line)
        } catch {
            throw DataError(
                .malformedRow, "not a valid JSON object (each line must be one JSON object)", file: file, line: line)
        }
        var record = TabularRecord()
        for (key, value) in object {
            record.values[key] = value.values
            if value.isList { record.listColumns.insert(key) }
        }
        return record
    }
}

/// A JSON value limited to what a categorical field can hold.
private struct JSONScalarOrList: Decodable {
    var values: [String]
    var isList: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            values = []
            isList = false
        } else if let list = try? container.decode([Scalar?].self) {
            values = list.compactMap { $0?.text }
            isList = true
        } else {
            values = [try container.decode(Scalar.self).text]
            isList = false
        }
    }

    private struct Scalar: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int64.self) {
                text = String(integer)
            } else if let number = try? container.decode(Double.self) {
                text = number.rounded() == number && abs(number) < 9.0e15 ? String(Int64(number)) : String(number)
            } else if let flag = try? container.decode(Bool.self) {
                text = flag ? "true" : "false"
            } else if let string = try? container.decode(String.self) {
                text = string
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "unsupported JSON value")
            }
        }
    }
}
