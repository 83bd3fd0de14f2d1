/// One A/B variant: a name, the bundle it serves and its share of users.
public struct VariantSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The variant's name (`[A-Za-z0-9_-]`, 1...64), written into every prediction.
    public var name: String
    /// The bundle directory.
    public var path: String
    /// Relative traffic share (>= 0); shares are normalised over all variants.
    public var share: Double

    /// Creates a variant.
    public init(name: String, path: String, share: Double) {
        self.name = name
        self.path = path
        self.share = share
    }

    /// Parses `name:share:path` (the path may itself contain `:`).
    ///
    /// - Throws: ``ServeError`` `.invalidConfiguration` naming `key` and the accepted form.
    public static func parse(_ text: String, key: String = "serve.variants") throws(ServeError) -> VariantSpec {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let form = "write each variant as `name:share:path`, e.g. `control:0.9:bundles/ml1m`"
        guard parts.count == 3 else {
            throw ServeError(.invalidConfiguration, "\(key): `\(text)` is not name:share:path; \(form)")
        }
        let (name, shareText, path) = (parts[0], parts[1], parts[2])
        guard !name.isEmpty, name.count <= 64,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw ServeError(
                .invalidConfiguration,
                "\(key): variant name `\(name)` must be 1 to 64 ASCII letters, digits, `-` or `_`")
        }
        guard let share = Double(shareText), share.isFinite, share >= 0 else {
            throw ServeError(
                .invalidConfiguration, "\(key): share `\(shareText)` of variant `\(name)` must be a number >= 0")
        }
        guard !path.isEmpty else {
            throw ServeError(.invalidConfiguration, "\(key): variant `\(name)` has no bundle path; \(form)")
        }
        return VariantSpec(name: name, path: path, share: share)
    }

    /// Checks a variant list: at least one, unique names, a positive total share.
    ///
    /// - Throws: ``ServeError`` `.invalidConfiguration`.
    public static func validate(_ variants: [VariantSpec], key: String = "serve.variants") throws(ServeError) {
        guard !variants.isEmpty else {
            throw ServeError(
                .invalidConfiguration,
                "\(key): no variants; give at least one `name:share:path` (e.g. `control:1:bundles/ml1m`)")
        }
        var names: Set<String> = []
        for variant in variants where !names.insert(variant.name).inserted {
            throw ServeError(
                .invalidConfiguration, "\(key): variant name `\(variant.name)` appears twice; names must be unique")
        }
        guard variants.map(\.share).reduce(0, +) > 0 else {
            throw ServeError(
                .invalidConfiguration, "\(key): every share is 0; give at least one variant a positive share")
        }
    }

    public var description: String { "\(name):\(share):\(path)" }
}
