import Foundation

/// Loads a dataset in RecBole's atomic-file format from a directory holding `NAME.inter` and
/// optionally `NAME.item`, `NAME.kg` and `NAME.link` (the `.user` file is not used: the models
/// only need item fields).
///
/// - `.inter` must have `user_id`, `item_id` and `timestamp` columns; other columns (rating)
///   are ignored. Each event's ``InteractionLog/sourceOrder`` is its line number.
/// - `.item` must have `item_id`; its other columns become catalogue columns by the
///   ``RecBolePreset`` rules. Items that appear only in `.inter` get all fields unknown.
/// - `.kg` rows are `(head entity, relation, tail entity)`, `.link` maps `item_id` → entity.
///   Relations named by the preset become multi-valued columns (tails in file order).
///
/// Malformed rows fail with a ``DataError`` naming file, line and field.
public struct RecBoleLoader: Sendable {
    /// The directory holding the atomic files.
    public var directory: String
    /// The dataset name: the files' base name.
    public var name: String
    /// Column rules (``RecBolePreset/named(_:)`` by default).
    public var preset: RecBolePreset

    /// A loader for `directory/NAME.*`; `name` defaults to the directory's last path component.
    public init(directory: String, name: String? = nil, preset: RecBolePreset? = nil) {
        let resolvedName = name ?? URL(fileURLWithPath: directory).lastPathComponent
        self.directory = directory
        self.name = resolvedName
        self.preset = preset ?? RecBolePreset.named(resolvedName)
    }

    private func path(_ suffix: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("\(name).\(suffix)").path
    }

    /// Reads the files.
    /// - Throws: ``DataError`` for a missing `.inter` file, missing columns or malformed rows.
    public func load() throws -> Dataset {
        var builder = try loadCatalog()
        var log = InteractionLog()
        let inter = try AtomicFile(path: path("inter"))
        try inter.require(["user_id", "item_id", "timestamp"])
        try inter.forEachRow { row in
            let user = row["user_id"], item = row["item_id"]
            guard !user.isEmpty else {
                throw DataError(.badValue, "empty user id", file: row.file, line: row.line, field: "user_id")
            }
            guard !item.isEmpty else {
                throw DataError(.badValue, "empty item id", file: row.file, line: row.line, field: "item_id")
            }
            let timestamp = try row.number("timestamp")
            log.append(
                user: user, item: builder.indexAddingIfNeeded(key: item), timestamp: timestamp,
                sourceOrder: Int64(row.line))
        }
        return Dataset(
            name: name, catalog: try builder.build(), interactions: log, multiValueOverrides: preset.multiValueOverrides
        )
    }

    /// The catalogue columns from `.item` (and the knowledge graph), or none without an item file.
    private func loadCatalog() throws -> ItemTableBuilder {
        let itemPath = path("item")
        guard FileManager.default.fileExists(atPath: itemPath) else { return ItemTableBuilder(columns: []) }
        let file = try AtomicFile(path: itemPath)
        try file.require(["item_id"])

        // Column plan: each output column reads one source column through a rule.
        enum Rule { case single, tokens, year, decade, relation }
        var plan: [(column: ItemTableBuilder.Column, source: String, rule: Rule)] = []
        for column in file.columns where column.name != "item_id" && !preset.droppedColumns.contains(column.name) {
            if let decadeColumn = preset.yearColumns[column.name] {
                plan.append((.init(name: column.name, kind: .single), column.name, .year))
                plan.append((.init(name: decadeColumn, kind: .single), column.name, .decade))
            } else if column.type.isSequence || preset.multiValuedTokenColumns.contains(column.name) {
                plan.append((.init(name: column.name, kind: .multi), column.name, .tokens))
            } else {
                plan.append((.init(name: column.name, kind: .single), column.name, .single))
            }
        }
        let graph = try loadRelations()
        for relation in preset.relations where graph != nil {
            plan.append((.init(name: relation.column, kind: .multi), relation.relation, .relation))
        }

        var builder = ItemTableBuilder(columns: plan.map(\.column))
        try file.forEachRow { row in
            let key = row["item_id"]
            guard !key.isEmpty else {
                throw DataError(.badValue, "empty item id", file: row.file, line: row.line, field: "item_id")
            }
            let values: [[String]] = plan.map { entry in
                switch entry.rule {
                case .single: [row[entry.source].trimmingSpaces()]
                case .tokens: row.tokens(entry.source)
                case .year: RecBolePreset.year(row[entry.source]).map { [$0] } ?? []
                case .decade: RecBolePreset.year(row[entry.source]).map { [RecBolePreset.decade(ofYear: $0)] } ?? []
                case .relation: graph?[key]?[entry.source] ?? []
                }
            }
            guard builder.add(key: key, values: values) != nil else {
                throw DataError(
                    .malformedRow, "item id '\(key)' appears twice in the item file", file: row.file, line: row.line,
                    field: "item_id")
            }
        }
        return builder
    }

    /// item id → relation → tails, for the preset's relations, or `nil` without `.kg`/`.link`.
    private func loadRelations() throws -> [String: [String: [String]]]? {
        let kgPath = path("kg"), linkPath = path("link")
        guard !preset.relations.isEmpty,
            FileManager.default.fileExists(atPath: kgPath), FileManager.default.fileExists(atPath: linkPath)
        else { return nil }
        let link = try AtomicFile(path: linkPath)
        try link.require(["item_id", "entity_id"])
        var itemsOfEntity: [String: [String]] = [:]
        try link.forEachRow { row in
            itemsOfEntity[row["entity_id"], default: []].append(row["item_id"])
        }
        let wanted = Set(preset.relations.map(\.relation))
        let kg = try AtomicFile(path: kgPath)
        try kg.require(["head_id", "relation_id", "tail_id"])
        var result: [String: [String: [String]]] = [:]
        try kg.forEachRow { row in
            let relation = row["relation_id"]
            guard wanted.contains(relation), let items = itemsOfEntity[row["head_id"]] else { return }
            let tail = row["tail_id"]
            guard !tail.isEmpty else {
                throw DataError(.badValue, "empty tail entity", file: row.file, line: row.line, field: "tail_id")
            }
            for item in items { result[item, default: [:]][relation, default: []].append(tail) }
        }
        return result
    }
}
