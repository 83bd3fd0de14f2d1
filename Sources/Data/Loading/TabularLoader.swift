import Foundation

/// Loads interactions (and optionally items) from plain CSV or JSON Lines files.
///
/// **Interactions** (one event per record):
/// - `user_id` (required): string or integer;
/// - `item_id` (required): string or integer;
/// - `timestamp` (optional column): a number in any unit whose order is time order. If the file
///   has no timestamp column (CSV header / first JSONL record), every event gets 0 and sequences
///   follow file order. If it has one, every record needs a numeric value.
/// - other columns are ignored.
///
/// **Items** (one item per record): `item_id` (required) and any other columns, each a
/// categorical field. In CSV a column is multi-valued if it is listed in
/// ``multiValuedColumns``; its cells are split on ``valueSeparator``. In JSONL a column is
/// multi-valued if any record holds an array there. Empty strings and `null` mean unknown; JSON
/// numbers become their decimal text (integers without `.0`).
///
/// CSV follows RFC 4180 (header row, `,` separator, `"` quoting). Each event's
/// ``InteractionLog/sourceOrder`` is the line on which its record starts.
///
/// The paper's Amazon-2023 data (`PIIR/ReSID-dataset`, parquet) converts with pandas:
/// ```python
/// import pandas as pd, json
/// items = pd.read_parquet("item_feature.parquet")   # item_id, store_id, cate1_id..cate3_id
/// items.to_json("items.jsonl", orient="records", lines=True)
/// test = pd.read_parquet("test.parquet")             # user_id, history, target, timestamp
/// with open("interactions.jsonl", "w") as out:        # the test row holds the full sequence
///     for row in test.itertuples():
///         for position, item in enumerate(list(row.history) + [row.target]):
///             out.write(json.dumps({"user_id": row.user_id, "item_id": int(item),
///                                   "timestamp": position}) + "\n")
/// ```
/// Its timestamps here are sequence positions, so each user's order is exactly the paper's; the
/// leave-one-out split then gives the paper's validation and test targets. Load with
/// `TabularLoader(name: "amazon-...", interactions: "interactions.jsonl", items: "items.jsonl")`.
public struct TabularLoader: Sendable {
    /// The two supported formats.
    public enum Format: String, Sendable {
        /// Comma-separated values with a header row.
        case csv
        /// One JSON object per line.
        case jsonLines

        /// The format implied by a path's extension: `.csv` → CSV, `.jsonl`/`.ndjson`/`.json` → JSON Lines.
        public static func of(path: String) -> Format? {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "csv": .csv
            case "jsonl", "ndjson", "json": .jsonLines
            default: nil
            }
        }
    }

    /// The dataset name.
    public var name: String
    /// The interactions file.
    public var interactionsPath: String
    /// The items file, if any.
    public var itemsPath: String?
    /// CSV item columns whose cells hold several values.
    public var multiValuedColumns: Set<String> = []
    /// The separator of values in multi-valued CSV cells.
    public var valueSeparator: Character = "|"

    /// A loader; formats follow the file extensions.
    public init(name: String, interactions: String, items: String? = nil, multiValuedColumns: Set<String> = []) {
        self.name = name
        self.interactionsPath = interactions
        self.itemsPath = items
        self.multiValuedColumns = multiValuedColumns
    }

    /// Reads the files.
    /// - Throws: ``DataError`` naming file, line and field for unknown extensions, missing
    ///   columns and malformed records.
    public func load() throws -> Dataset {
        var builder = ItemTableBuilder(columns: [])
        if let itemsPath { builder = try loadItems(itemsPath) }
        var log = InteractionLog()
        var hasTimestamp: Bool?
        try forEachRecord(interactionsPath, required: ["user_id", "item_id"]) { line, record in
            let user = try Self.scalar(record, "user_id", file: interactionsPath, line: line)
            let item = try Self.scalar(record, "item_id", file: interactionsPath, line: line)
            if hasTimestamp == nil { hasTimestamp = record["timestamp"] != nil }
            var timestamp = 0.0
            if hasTimestamp == true {
                let text = try Self.scalar(record, "timestamp", file: interactionsPath, line: line)
                guard let value = Double(text.trimmingSpaces()), value.isFinite else {
                    throw DataError(
                        .badValue, "'\(text)' is not a number", file: interactionsPath, line: line, field: "timestamp")
                }
                timestamp = value
            }
            log.append(
                user: user, item: builder.indexAddingIfNeeded(key: item), timestamp: timestamp, sourceOrder: Int64(line)
            )
        }
        return Dataset(name: name, catalog: try builder.build(), interactions: log)
    }

    private func loadItems(_ path: String) throws -> ItemTableBuilder {
        var records: [(line: Int, record: TabularRecord)] = []
        var columns: [String] = []
        var kinds: [String: FieldKind] = [:]
        try forEachRecord(path, required: ["item_id"]) { line, record in
            records.append((line, record))
            // Sorted so that JSONL column order does not depend on dictionary order.
            for key in record.values.keys.sorted() where key != "item_id" {
                if kinds[key] == nil { columns.append(key) }
                kinds[key] = record.listColumns.contains(key) || kinds[key] == .multi ? .multi : .single
            }
        }
        var builder = ItemTableBuilder(columns: columns.map { .init(name: $0, kind: kinds[$0] ?? .single) })
        for (line, record) in records {
            let key = try Self.scalar(record, "item_id", file: path, line: line)
            guard builder.add(key: key, values: columns.map { record[$0] ?? [] }) != nil else {
                throw DataError(
                    .malformedRow, "item id '\(key)' appears twice", file: path, line: line, field: "item_id")
            }
        }
        return builder
    }

    /// The single value of `field` in `record`.
    private static func scalar(_ record: TabularRecord, _ field: String, file: String, line: Int) throws -> String {
        guard let values = record[field], values.count == 1, !values[0].isEmpty else {
            throw DataError(.badValue, "needs exactly one non-empty value", file: file, line: line, field: field)
        }
        return values[0]
    }

    /// Calls `body` with each record as column → values.
    private func forEachRecord(_ path: String, required: [String], _ body: (Int, TabularRecord) throws -> Void) throws {
        guard let format = Format.of(path: path) else {
            throw DataError(.invalidArgument, "unknown file type: use a .csv or .jsonl file", file: path)
        }
        let text = try TextFile(path: path)
        switch format {
        case .csv:
            var header: [String]?
            try text.forEachCSVRecord { line, fields in
                guard let columns = header else {
                    let names = fields.map { $0.trimmingSpaces() }
                    for name in required where !names.contains(name) {
                        throw DataError(
                            .missingColumn,
                            "the header has no '\(name)' column (it has: \(names.joined(separator: ", ")))",
                            file: path, line: line, field: name)
                    }
                    header = names
                    return
                }
                guard fields.count == columns.count else {
                    let field = fields.count < columns.count ? columns[fields.count] : "(extra field \(fields.count))"
                    throw DataError(
                        .malformedRow, "expected \(columns.count) comma-separated fields, found \(fields.count)",
                        file: path, line: line, field: field)
                }
                var record = TabularRecord()
                for (column, value) in zip(columns, fields) {
                    if multiValuedColumns.contains(column) {
                        record.values[column] = value.split(separator: valueSeparator).map {
                            String($0).trimmingSpaces()
                        }.filter { !$0.isEmpty }
                        record.listColumns.insert(column)
                    } else {
                        record.values[column] = [value.trimmingSpaces()]
                    }
                }
                try body(line, record)
            }
        case .jsonLines:
            try text.forEachLine { line, bytes in
                let record = try TabularRecord.parseJSON(bytes, file: path, line: line)
                for name in required where record[name] == nil {
                    throw DataError(
                        .missingColumn, "the record has no '\(name)' key", file: path, line: line, field: name)
                }
                try body(line, record)
            }
        }
    }
}
