/// A RecBole "atomic file": tab-separated, header row of `name:type` columns where type is
/// `token`, `token_seq` (space-separated tokens), `float` or `float_seq`. No quoting.
struct AtomicFile {
    /// A column's declared type.
    enum ColumnType: String {
        case token, tokenSeq = "token_seq", float, floatSeq = "float_seq"

        /// Whether a value holds several space-separated entries.
        var isSequence: Bool { self == .tokenSeq || self == .floatSeq }
    }

    /// A header column.
    struct Column {
        let name: String
        let type: ColumnType
    }

    /// One data row with access by column name.
    struct Row {
        let file: String
        let line: Int
        let fields: [String]
        let positions: [String: Int]

        /// The raw value of `column` (the empty string when the file has no such column).
        subscript(column: String) -> String {
            positions[column].map { fields[$0] } ?? ""
        }

        /// The value of `column` split on spaces (empty entries dropped).
        func tokens(_ column: String) -> [String] {
            self[column].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }

        /// The value of `column` as a number.
        /// - Throws: ``DataError/Code/badValue`` naming file, line and column.
        func number(_ column: String) throws -> Double {
            let text = self[column].trimmingSpaces()
            guard let value = Double(text), value.isFinite else {
                throw DataError(.badValue, "'\(self[column])' is not a number", file: file, line: line, field: column)
            }
            return value
        }
    }

    let path: String
    let columns: [Column]
    private let text: TextFile
    private let positions: [String: Int]

    /// Opens `path` and parses its header.
    /// - Throws: ``DataError`` if the file cannot be read or the header is not `name:type` columns.
    init(path: String) throws {
        let text = try TextFile(path: path)
        guard let header = try text.firstLine(separator: 0x09) else {
            throw DataError(
                .malformedHeader, "empty file: expected a header row of name:type columns", file: path, line: 1)
        }
        var columns: [Column] = []
        var positions: [String: Int] = [:]
        for (index, entry) in header.enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let type = ColumnType(rawValue: parts[1].trimmingSpaces()) else {
                throw DataError(
                    .malformedHeader,
                    "header column \(index + 1) is '\(entry)'; expected name:type with type token, token_seq, float or float_seq",
                    file: path, line: 1, field: parts.first)
            }
            guard positions.updateValue(index, forKey: parts[0]) == nil else {
                throw DataError(
                    .malformedHeader, "column name appears twice in the header", file: path, line: 1, field: parts[0])
            }
            columns.append(Column(name: parts[0], type: type))
        }
        self.path = path
        self.text = text
        self.columns = columns
        self.positions = positions
    }

    /// The declared type of `column`, or `nil` if the file has no such column.
    func type(of column: String) -> ColumnType? {
        positions[column].map { columns[$0].type }
    }

    /// Requires `names` in the header.
    /// - Throws: ``DataError/Code/missingColumn`` naming the first absent column.
    func require(_ names: [String]) throws {
        for name in names where positions[name] == nil {
            let present = columns.map(\.name).joined(separator: ", ")
            throw DataError(
                .missingColumn, "the header has no '\(name)' column (it has: \(present))", file: path, line: 1,
                field: name)
        }
    }

    /// Calls `body` for each data row (every non-blank line after the header).
    /// - Throws: ``DataError/Code/malformedRow`` when a row's field count differs from the
    ///   header's (naming the first missing or the extra field), or what `body` throws.
    func forEachRow(_ body: (Row) throws -> Void) throws {
        var isHeader = true
        try text.forEachSplitLine(separator: 0x09) { line, fields in
            if isHeader { isHeader = false; return }
            guard fields.count == columns.count else {
                let field = fields.count < columns.count ? columns[fields.count].name : "(extra field \(fields.count))"
                throw DataError(
                    .malformedRow, "expected \(columns.count) tab-separated fields, found \(fields.count)",
                    file: path, line: line, field: field)
            }
            try body(Row(file: path, line: line, fields: fields, positions: positions))
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
