/// The samples of a Prometheus text exposition (version 0.0.4): what a scraper reads from
/// `/metrics`. Benchmarks and tests read a daemon's figures through it, and a line it cannot
/// parse is an invalid exposition.
public struct PrometheusSamples: Sendable {
    /// One sample line: `name{label="value",...} value`.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// The samples, in the order of the text.
    public let samples: [Sample]
    /// Lines that are neither a comment, blank, nor a well-formed sample.
    public let invalidLines: [String]

    /// Parses `text`.
    public init(_ text: String) {
        var samples: [Sample] = []
        var invalid: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") {
                if !(line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ")) { invalid.append(String(line)) }
                continue
            }
            if let sample = Self.sample(line) { samples.append(sample) } else { invalid.append(String(line)) }
        }
        self.samples = samples
        invalidLines = invalid
    }

    /// The value of the sample named `name` whose labels include `labels` (the first such).
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }?.value
    }

    private static func sample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard !name.isEmpty, name.first?.isNumber == false else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = rest.prefix { $0 != "=" }
                rest = rest.dropFirst(label.count)
                guard !label.isEmpty, rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    guard character == "\\" else {
                        value.append(character)
                        continue
                    }
                    guard let escaped = rest.first else { return nil }
                    rest = rest.dropFirst()
                    value.append(escaped == "n" ? "\n" : escaped)
                }
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                labels[String(label)] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { return nil }
        let fields = rest.split(separator: " ")
        guard (1...2).contains(fields.count), let value = Self.number(fields[0]) else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }

    private static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}
