/// Picks a user's A/B variant by a stable hash of (salt, user) over the configured shares.
///
/// The hash is FNV-1a (64-bit) of the salt's UTF-8 bytes, a 0 byte, and the user's bytes; its top
/// 53 bits give a point in [0, 1) that falls into one variant's slice of the cumulative shares.
/// Stable across processes, restarts and machines (no per-process seeding, unlike `Hasher`), so
/// every instance routes a user the same way; changing a share moves only the users whose point
/// lies in the slices that moved.
public struct VariantRouter: Sendable, Equatable {
    /// Variant names, in configuration order.
    public let names: [String]
    /// Upper bound of each variant's slice of [0, 1).
    public let bounds: [Double]
    /// The salt.
    public let salt: String
    private let saltHash: UInt64

    /// A router over `names` with relative `shares` (normalised to sum 1).
    ///
    /// - Throws: ``ServeError`` `.invalidConfiguration` for mismatched lists, a negative or
    ///   non-finite share, or shares summing to 0.
    public init(names: [String], shares: [Double], salt: String) throws(ServeError) {
        guard !names.isEmpty, names.count == shares.count else {
            throw ServeError(.invalidConfiguration, "A/B router: \(names.count) variants but \(shares.count) shares")
        }
        guard shares.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw ServeError(.invalidConfiguration, "A/B router: shares must be finite and >= 0, got \(shares)")
        }
        let total = shares.reduce(0, +)
        guard total > 0 else { throw ServeError(.invalidConfiguration, "A/B router: shares sum to 0") }
        var running = 0.0
        var bounds = shares.map { share -> Double in
            running += share / total
            return running
        }
        // The last slice ends exactly at 1 whatever the rounding.
        if let last = bounds.indices.last { bounds[last] = 1 }
        self.names = names
        self.bounds = bounds
        self.salt = salt
        var hash = Self.offset
        for byte in salt.utf8 { hash = (hash ^ UInt64(byte)) &* Self.prime }
        saltHash = (hash ^ 0) &* Self.prime
    }

    /// A router over variant specs.
    public init(variants: [VariantSpec], salt: String) throws(ServeError) {
        try self.init(names: variants.map(\.name), shares: variants.map(\.share), salt: salt)
    }

    private static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The user's point in [0, 1).
    public func point(user: String) -> Double {
        var hash = saltHash
        for byte in user.utf8 { hash = (hash ^ UInt64(byte)) &* Self.prime }
        // FNV's low bits mix poorly for short inputs; fold the high half in before taking 53 bits.
        hash ^= hash >> 29
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 32
        return Double(hash >> 11) / Double(1 << 53)
    }

    /// The index (into ``names``) of the user's variant.
    public func variantIndex(user: String) -> Int {
        let x = point(user: user)
        for (index, bound) in bounds.enumerated() where x < bound { return index }
        return bounds.count - 1
    }

    /// The name of the user's variant.
    public func variant(user: String) -> String { names[variantIndex(user: user)] }
}
