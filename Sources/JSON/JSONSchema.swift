import Foundation

/// The subset of JSON Schema (draft 2020-12) that the topic schemas use, compiled once.
///
/// Supported keywords: `type`, `enum`, `const`, `required`, `properties`,
/// `additionalProperties`, `minProperties`, `minLength`, `maxLength`, `pattern`, `minimum`,
/// `maximum`, `exclusiveMinimum`, `items`, `minItems`, `maxItems`, `$ref` (to `#/$defs/...`)
/// and `$defs`; annotations (`$schema`, `$id`, `title`, `description`, `$comment`, `examples`)
/// are ignored. Any other keyword is rejected when the schema is loaded, so a schema can never
/// say more than this validator checks.
public struct JSONSchema: Sendable {
    indirect enum Additional: Sendable {
        case allowed
        case forbidden
        case schema(JSONSchema)
    }

    var types: [String]?
    var allowedValues: [JSONValue]?
    var required: [String] = []
    var properties: [String: JSONSchema] = [:]
    var additionalProperties: Additional = .allowed
    var minProperties: Int?
    var minLength: Int?
    var maxLength: Int?
    var pattern: NSRegularExpression?
    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var itemSchema: [JSONSchema] = []
    var minItems: Int?
    var maxItems: Int?
    var reference: String?

    private static let annotations: Set<String> = [
        "$schema", "$id", "title", "description", "$comment", "examples", "$defs",
    ]

    /// Compiles a schema document.
    ///
    /// - Throws: ``SchemaViolation`` naming the schema location of an unsupported keyword or a
    ///   malformed value.
    public init(document: JSONValue) throws {
        var definitions: [String: JSONSchema] = [:]
        if case .object(let root) = document, case .object(let defs)? = root["$defs"] {
            for (name, definition) in defs {
                definitions[name] = try JSONSchema(node: definition, at: "$defs.\(name)")
            }
        }
        self = try JSONSchema(node: document, at: "")
        self.definitions = definitions
    }

    /// Named sub-schemas (`$defs`), resolved by `$ref`. Only the root holds them.
    private(set) var definitions: [String: JSONSchema] = [:]

    private init(node: JSONValue, at location: String) throws {
        guard case .object(let keywords) = node else {
            throw SchemaViolation(field: location, reason: "schema must be an object")
        }
        func child(_ keyword: String) -> String { location.isEmpty ? keyword : "\(location).\(keyword)" }
        func int(_ keyword: String) throws -> Int? {
            guard let value = keywords[keyword] else { return nil }
            guard case .integer(let number) = value else {
                throw SchemaViolation(field: child(keyword), reason: "must be an integer")
            }
            return Int(number)
        }
        func number(_ keyword: String) throws -> Double? {
            guard let value = keywords[keyword] else { return nil }
            guard let number = value.numericValue else {
                throw SchemaViolation(field: child(keyword), reason: "must be a number")
            }
            return number
        }
        for keyword in keywords.keys where !Self.annotations.contains(keyword) && !Self.keywords.contains(keyword) {
            throw SchemaViolation(field: child(keyword), reason: "unsupported JSON Schema keyword")
        }
        switch keywords["type"] {
        case nil: types = nil
        case .string(let name)?: types = [name]
        case .array(let names)?:
            types = try names.map {
                guard case .string(let name) = $0 else {
                    throw SchemaViolation(field: child("type"), reason: "must list type names")
                }
                return name
            }
        default: throw SchemaViolation(field: child("type"), reason: "must be a type name or a list of them")
        }
        if case .array(let values)? = keywords["enum"] { allowedValues = values }
        if let value = keywords["const"] { allowedValues = [value] }
        if case .array(let names)? = keywords["required"] {
            required = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        if case .object(let entries)? = keywords["properties"] {
            for (name, schema) in entries {
                properties[name] = try JSONSchema(node: schema, at: child("properties.\(name)"))
            }
        }
        switch keywords["additionalProperties"] {
        case nil, .bool(true)?: additionalProperties = .allowed
        case .bool(false)?: additionalProperties = .forbidden
        case let schema?:
            additionalProperties = .schema(try JSONSchema(node: schema, at: child("additionalProperties")))
        }
        minProperties = try int("minProperties")
        minLength = try int("minLength")
        maxLength = try int("maxLength")
        if case .string(let text)? = keywords["pattern"] {
            guard let regex = try? NSRegularExpression(pattern: text) else {
                throw SchemaViolation(field: child("pattern"), reason: "invalid regular expression")
            }
            pattern = regex
        }
        minimum = try number("minimum")
        maximum = try number("maximum")
        exclusiveMinimum = try number("exclusiveMinimum")
        if let items = keywords["items"] {
            itemSchema = [try JSONSchema(node: items, at: child("items"))]
        }
        minItems = try int("minItems")
        maxItems = try int("maxItems")
        if case .string(let target)? = keywords["$ref"] {
            guard target.hasPrefix("#/$defs/") else {
                throw SchemaViolation(field: child("$ref"), reason: "only #/$defs/NAME references are supported")
            }
            reference = String(target.dropFirst("#/$defs/".count))
        }
    }

    private static let keywords: Set<String> = [
        "type", "enum", "const", "required", "properties", "additionalProperties", "minProperties",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "items",
        "minItems", "maxItems", "$ref",
    ]

    /// Checks `value`, returning every violation (empty when valid).
    public func validate(_ value: JSONValue) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(value, at: "", root: self, into: &violations)
        return violations
    }

    private func check(_ value: JSONValue, at path: String, root: JSONSchema, into violations: inout [SchemaViolation])
    {
        func fail(_ reason: String) { violations.append(SchemaViolation(field: path, reason: reason)) }
        if let reference {
            guard let target = root.definitions[reference] else {
                return fail("schema refers to unknown definition '\(reference)'")
            }
            target.check(value, at: path, root: root, into: &violations)
        }
        if let types {
            let matches = types.contains { $0 == value.typeName || ($0 == "number" && value.typeName == "integer") }
            guard matches else {
                return fail("expected \(types.joined(separator: " or ")), got \(value.typeName)")
            }
        }
        if let allowedValues, !allowedValues.contains(value) {
            fail("must be one of \(allowedValues.map(Self.render).joined(separator: ", "))")
        }
        switch value {
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minLength, length < minLength { fail("must be at least \(minLength) characters long") }
            if let maxLength, length > maxLength { fail("must be at most \(maxLength) characters long") }
            if let pattern,
                pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                fail("must match the pattern \(pattern.pattern)")
            }
        case .integer, .number:
            let number = value.numericValue ?? 0
            if let minimum, number < minimum { fail("must be >= \(Self.render(minimum))") }
            if let maximum, number > maximum { fail("must be <= \(Self.render(maximum))") }
            if let exclusiveMinimum, number <= exclusiveMinimum { fail("must be > \(Self.render(exclusiveMinimum))") }
        case .array(let elements):
            if let minItems, elements.count < minItems { fail("must have at least \(minItems) items") }
            if let maxItems, elements.count > maxItems { fail("must have at most \(maxItems) items") }
            if let itemSchema = itemSchema.first {
                for (index, element) in elements.enumerated() {
                    itemSchema.check(element, at: "\(path)[\(index)]", root: root, into: &violations)
                }
            }
        case .object(let members):
            for name in required where members[name] == nil {
                violations.append(SchemaViolation(field: Self.join(path, name), reason: "is required"))
            }
            if let minProperties, members.count < minProperties { fail("must have at least \(minProperties) members") }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let memberPath = Self.join(path, name)
                if let schema = properties[name] {
                    schema.check(member, at: memberPath, root: root, into: &violations)
                    continue
                }
                switch additionalProperties {
                case .allowed: break
                case .forbidden:
                    violations.append(SchemaViolation(field: memberPath, reason: "is not an allowed field"))
                case .schema(let schema):
                    schema.check(member, at: memberPath, root: root, into: &violations)
                }
            }
        case .null, .bool:
            break
        }
    }

    private static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    private static func render(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    private static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "'\(text)'"
        case .integer(let number): String(number)
        case .number(let number): render(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        case .array, .object: value.typeName
        }
    }
}

/// Why a message (or a schema) is invalid: the field's path (`source.offset`, `items[2].score`,
/// empty for the whole document) and the rule it breaks.
public struct SchemaViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the field, with `[i]` for array elements.
    public var field: String
    /// The rule the field breaks, phrased as the fix.
    public var reason: String

    /// Creates a violation.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
