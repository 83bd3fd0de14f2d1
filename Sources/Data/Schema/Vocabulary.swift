/// The values of one categorical field and their integer codes.
///
/// Code 0 is reserved for padding and unknown values: ``code(of:)`` returns 0 for a value it has
/// never seen, and so does the empty string. Real values get codes 1, 2, ... in insertion order,
/// so an embedding table for the field needs ``count`` rows (including row 0). The value strings
/// are kept, so a new item's raw values can be mapped to codes later.
public struct Vocabulary: Sendable, Equatable, Codable {
    /// The reserved code for padding and unknown values.
    public static let unknown: Int32 = 0

    /// The value of every code; `values[0]` is the empty string standing for "unknown".
    public private(set) var values: [String]
    private var codes: [String: Int32]

    /// An empty vocabulary (only the reserved code 0).
    public init() {
        values = [""]
        codes = [:]
    }

    /// A vocabulary whose codes 1... are `values` in order. Empty strings and repeats are skipped.
    public init<S: Sequence>(_ values: S) where S.Element == String {
        self.init()
        for value in values { insert(value) }
    }

    /// Number of codes including the reserved 0: the size of the field's embedding table
    /// (a model adds its own mask slot on top).
    public var count: Int { values.count }

    /// Number of real values (``count`` - 1).
    public var valueCount: Int { values.count - 1 }

    /// The code of `value`, or ``unknown`` (0) if the vocabulary does not hold it.
    public func code(of value: String) -> Int32 {
        codes[value] ?? Self.unknown
    }

    /// The value with code `code`, or `nil` for 0 and codes out of range.
    public func value(of code: Int32) -> String? {
        code > 0 && Int(code) < values.count ? values[Int(code)] : nil
    }

    /// Adds `value` if new and returns its code; the empty string is not stored and returns 0.
    @discardableResult
    public mutating func insert(_ value: String) -> Int32 {
        if value.isEmpty { return Self.unknown }
        if let existing = codes[value] { return existing }
        let code = Int32(values.count)
        values.append(value)
        codes[value] = code
        return code
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool { lhs.values == rhs.values }

    private enum CodingKeys: String, CodingKey { case values }

    /// Encodes the real values in code order (code 1 first).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Array(values.dropFirst()), forKey: .values)
    }

    /// Decodes values written by ``encode(to:)``; repeated values are an error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let stored = try container.decode([String].self, forKey: .values)
        self.init(stored)
        if valueCount != stored.count {
            throw DecodingError.dataCorruptedError(
                forKey: .values, in: container, debugDescription: "vocabulary holds empty or repeated values")
        }
    }
}
